// Text written into XML: DASH MPDs and Smooth manifests (Packaging), PlayReady headers (Protection), CPIX documents
// (Client). One escaper for all of them.

public enum XMLText {
    /// `value` safe inside an XML attribute or element: the five predefined entities, and newline, carriage return and
    /// tab as character references (so an attribute keeps them rather than normalising them to spaces).
    public static func escaped(_ value: String) -> String {
        guard value.contains(where: { "&<>\"'\n\r\t".contains($0) }) else { return value }
        var text = ""
        for character in value {
            switch character {
            case "&": text += "&amp;"
            case "<": text += "&lt;"
            case ">": text += "&gt;"
            case "\"": text += "&quot;"
            case "'": text += "&apos;"
            case "\n": text += "&#10;"
            case "\r": text += "&#13;"
            case "\t": text += "&#9;"
            default: text.append(character)
            }
        }
        return text
    }
}
