// The one XML escaper every written XML document uses.

import Media
import Testing

struct XMLTextTests {
    @Test func escapesEntitiesAndAttributeWhitespace() {
        #expect(XMLText.escaped("plain text") == "plain text")
        #expect(XMLText.escaped(#"a&b<c>"d"'e'"#) == "a&amp;b&lt;c&gt;&quot;d&quot;&apos;e&apos;")
        #expect(XMLText.escaped("line\nnext\r\tend") == "line&#10;next&#13;&#9;end")
    }
}
