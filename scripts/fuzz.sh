#!/usr/bin/env bash
# Builds and runs the libFuzzer targets in Tests/Fuzz (issue 17).
#
#   scripts/fuzz.sh list                      the targets, one a line
#   scripts/fuzz.sh build [TARGET…]           build .build/fuzz/bin/<target>
#   scripts/fuzz.sh run SECONDS [TARGET…]     build, run each target SECONDS, print the table; exit 1 on a crash
#   scripts/fuzz.sh repro TARGET FILE         run one input through a target (a crash reproduces here)
#
# Why not SwiftPM: `swift build -Xswiftc -sanitize=fuzzer` would instrument (and link libFuzzer's main into) every
# target, the executable and the system libraries' users included. Instead each fuzzed module is compiled here from its
# own sources, with `-sanitize=fuzzer,address -enable-testing`, into one object and a .swiftmodule under
# .build/fuzz/modules; a target is Tests/Fuzz/<target>.swift (its `LLVMFuzzerTestOneInput`, which `@testable import`s
# the module, so internal parsers are reachable) linked with the objects of the modules it needs. The pure modules
# (Media, RTMP, ISOBMFF, Packaging, AMSModels) have no C dependency; for the others only the pure files a target needs
# are compiled (see MODULE_SOURCES), so no target links libuv, SQLite or libavcodec; http_head links the system
# libhttp_parser (not instrumented: coverage stops at its callbacks).
#
# A run stops at its first crash, timeout (10 s) or out-of-memory (2 GiB); `make test` runs each target briefly and
# fails on any of them. Minimize a crash with `.build/fuzz/bin/<target> -minimize_crash=1 -runs=10000 <file>`, fix
# the product, and keep the minimized input as a unit test in the parser's test target.
#
# Seeds: Tests/Fuzz/corpus/<target>/ (committed, made by scripts/make-fuzz-corpus.sh). New inputs found by a run go to
# .build/fuzz/corpus/<target>/ (kept between runs, never committed); a crash, timeout or out-of-memory input goes to
# .build/fuzz/artifacts/<target>/ and its path is printed.
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFTC=${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}
OUT=.build/fuzz
# -I Sources/CHTTPParser: the http-parser module map (HTTP's message parser), which also links libhttp_parser.
FLAGS=(-O -wmo -parse-as-library -sanitize=fuzzer,address -g -swift-version 6 -use-ld=lld -I Sources/CHTTPParser)

# Module → its sources (globs relative to the checkout) and the modules it imports (built first).
declare -A MODULE_SOURCES=(
    [Media]="Sources/Media/*.swift"
    [RTMP]="Sources/RTMP/*.swift"
    [ISOBMFF]="Sources/ISOBMFF/*.swift"
    [Packaging]="Sources/Packaging/*.swift"
    [AMSModels]="Sources/AMSModels/*.swift"
    # Only the DASH ingest manifest of Ingest: the rest of the module is servers on libuv.
    [Ingest]="Sources/Ingest/DASHIngestManifest.swift"
    # Only Live's archive track index (what recovery builds from the disk) and the channel configuration (what the
    # configuration file sets): the rest runs on libuv.
    [Live]="Sources/Live/ArchiveTrackIndex.swift Sources/Live/ChannelConfiguration.swift"
    # Only HTTP's message parser (over the system http-parser, linked by the CHTTPParser module map) and the value
    # types it fills: the server and client run on libuv.
    [HTTP]="Sources/HTTP/HTTPMessageParser.swift Sources/HTTP/HTTPHeaders.swift Sources/HTTP/HTTPRequest.swift"
    # Only the configuration file and the configuration it fills, from Appliance.
    [ApplianceConfig]="Sources/Appliance/ConfigurationFile.swift Sources/Appliance/ApplianceConfiguration.swift"
    # Only the worker pipe protocol of EncodeModel and the job types it carries: the rest reads YAML with Yams.
    [EncodeModel]="Sources/EncodeModel/WorkerProtocol.swift Sources/EncodeModel/EncodeJob.swift"
    # Only the XML reader of Client (what `locator create --cpix` reads from a file): the rest talks to the API on libuv.
    [ClientXML]="Sources/Client/XMLLiteReader.swift"
)
declare -A MODULE_DEPS=(
    [Media]="" [RTMP]="Media" [ISOBMFF]="Media" [Packaging]="Media ISOBMFF" [AMSModels]=""
    [Ingest]="" [EncodeModel]="Media" [Live]="Media" [HTTP]="" [ApplianceConfig]="Media Live" [ClientXML]=""
)
# Module key → module name, where they differ.
declare -A MODULE_NAME=([ApplianceConfig]=Appliance [ClientXML]=Client)
# Target → the modules it links, dependencies first. Priority order (issue 17).
TARGETS=(rtmp_session amf0 flv_tags fmp4_ingest dash_mpd origin_url odata_filter arm_json config_file archive_index worker_protocol http_head cpix_xml)
declare -A TARGET_MODULES=(
    [rtmp_session]="Media RTMP"
    [amf0]="Media RTMP"
    [flv_tags]="Media RTMP"
    [fmp4_ingest]="Media ISOBMFF"
    [dash_mpd]="Ingest"
    [origin_url]="Media ISOBMFF Packaging"
    [odata_filter]="AMSModels"
    [arm_json]="AMSModels"
    [archive_index]="Media Live"
    [worker_protocol]="Media EncodeModel"
    [http_head]="HTTP"
    [config_file]="Media Live ApplianceConfig"
    [cpix_xml]="ClientXML"
)

newer_than() {  # newer_than OUTPUT INPUT… — true when OUTPUT is missing or older than an input
    local output=$1; shift
    [[ -e $output ]] || return 0
    local input
    for input in "$@"; do [[ $input -nt $output ]] && return 0; done
    return 1
}

closure() {  # closure KEY… — the keys and, first, everything they import, each once
    local key dep
    for key in "$@"; do
        # shellcheck disable=SC2086
        closure ${MODULE_DEPS[$key]}
        [[ " $CLOSURE " == *" $key "* ]] || CLOSURE+=" $key"
    done
}

# Each module key builds into its own directory (a key may build part of a module under the module's name).
build_module() {
    local key=$1 dep includes=() inputs=()
    for dep in ${MODULE_DEPS[$key]}; do build_module "$dep"; done
    CLOSURE=""
    # shellcheck disable=SC2086
    closure ${MODULE_DEPS[$key]}
    for dep in $CLOSURE; do
        includes+=(-I "$OUT/modules/$dep")
        inputs+=("$OUT/modules/$dep/${MODULE_NAME[$dep]:-$dep}.swiftmodule")
    done
    # shellcheck disable=SC2206
    local sources=(${MODULE_SOURCES[$key]}) name=${MODULE_NAME[$key]:-$key} dir=$OUT/modules/$key
    if newer_than "$dir/$name.o" "${sources[@]}" "${inputs[@]}" "$0"; then
        echo "fuzz: compiling $key (${#sources[@]} files)" >&2
        mkdir -p "$dir"
        "$SWIFTC" "${FLAGS[@]}" -enable-testing -module-name "$name" "${includes[@]}" \
            -emit-module -emit-module-path "$dir/$name.swiftmodule" -c -o "$dir/$name.o" "${sources[@]}"
        # The compiler leaves an unchanged output file alone, mtime included: mark it rebuilt.
        touch "$dir/$name.o" "$dir/$name.swiftmodule"
    fi
}

build_target() {
    local target=$1 key objects=() includes=()
    [[ -n ${TARGET_MODULES[$target]+x} ]] || { echo "fuzz: no target '$target' (scripts/fuzz.sh list)" >&2; exit 2; }
    for key in ${TARGET_MODULES[$target]}; do
        build_module "$key"
        objects+=("$OUT/modules/$key/${MODULE_NAME[$key]:-$key}.o")
        includes+=(-I "$OUT/modules/$key")
    done
    local entry=Tests/Fuzz/$target.swift
    if newer_than "$OUT/bin/$target" "$entry" "${objects[@]}"; then
        echo "fuzz: linking $target" >&2
        mkdir -p "$OUT/bin"
        "$SWIFTC" "${FLAGS[@]}" -module-name "Fuzz_$target" "${includes[@]}" "$entry" "${objects[@]}" \
            -o "$OUT/bin/$target"
        touch "$OUT/bin/$target"
    fi
}

run_target() {  # run_target TARGET SECONDS → one table row on stdout; returns 1 on a crash
    local target=$1 seconds=$2
    local corpus=$OUT/corpus/$target artifacts=$OUT/artifacts/$target log=$OUT/logs/$target.log
    mkdir -p "$corpus" "$artifacts" "$OUT/logs"
    local seeds=Tests/Fuzz/corpus/$target
    [[ -d $seeds ]] || seeds=
    local before
    before=$(find "$artifacts" -type f | wc -l)
    local status=0
    # detect_leaks=0: the Swift runtime's metadata caches look like leaks to LeakSanitizer.
    # SWIFT_BACKTRACE: the Swift runtime's crash handler reads memory that ASan then reports instead of the trap.
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0} \
        "$OUT/bin/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -detect_leaks=0 -artifact_prefix="$artifacts/" "$corpus" ${seeds:+"$seeds"} >"$log" 2>&1 || status=$?
    local executions rate size crashes
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
    size=$(find "$corpus" -type f | wc -l)
    crashes=$(( $(find "$artifacts" -type f | wc -l) - before ))
    printf '%-16s %12s %8s %8s %8s\n' "$target" "${executions:-?}" "${rate:-?}" "$crashes" "$size"
    if (( status != 0 || crashes > 0 )); then
        local artifact
        artifact=$(find "$artifacts" -type f -printf '%T@ %p\n' | sort -n | tail -n1 | cut -d' ' -f2-)
        {
            echo "fuzz: $target failed (exit $status); log: $log"
            grep -m1 -E "ERROR: |Fatal error|deadly signal" "$log" || true
            [[ -n $artifact ]] && echo "fuzz: reproduce with: scripts/fuzz.sh repro $target $artifact"
        } >&2
        return 1
    fi
}

command=${1:-}
shift || true
case $command in
    list)
        printf '%s\n' "${TARGETS[@]}" ;;
    build)
        (( $# )) || set -- "${TARGETS[@]}"
        for target in "$@"; do build_target "$target"; done ;;
    run)
        seconds=${1:?usage: scripts/fuzz.sh run SECONDS [TARGET…]}; shift
        (( $# )) || set -- "${TARGETS[@]}"
        for target in "$@"; do build_target "$target"; done
        failed=()
        rows=$OUT/report.txt
        mkdir -p "$OUT"
        printf '%-16s %12s %8s %8s %8s\n' target executions exec/s crashes corpus | tee "$rows"
        for target in "$@"; do
            run_target "$target" "$seconds" | tee -a "$rows" || failed+=("$target")
        done
        if (( ${#failed[@]} )); then
            echo "fuzz: crashes in: ${failed[*]}" >&2
            exit 1
        fi ;;
    repro)
        target=${1:?usage: scripts/fuzz.sh repro TARGET FILE}; file=${2:?usage: scripts/fuzz.sh repro TARGET FILE}
        build_target "$target"
        SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 "$OUT/bin/$target" "$file" ;;
    *)
        sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
        exit 2 ;;
esac
