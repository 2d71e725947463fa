#!/bin/sh
# report.html as a reader sees it: `capsim run --out` for a fluid and a
# stochastic scenario, each report opened from disk in headless Chromium.
# Checks the rendered DOM (the cost table with every deployment, the
# charts as inline <svg>) and a screenshot (its size, dark text where the
# table is, and at least three distinct chart colours -- i.e. the charts
# were drawn, not just present in the markup).
#
#   report_browser.sh CAPSIM_BIN SRC_DIR
#
# Chromium is required: without it the test fails, unless
# CAPSIM_SKIP_BROWSER=1, when it exits 77 (ctest: SKIP_RETURN_CODE 77).
# CAPSIM_BROWSER_KEEP=DIR keeps each report, its DOM and screenshot;
# CAPSIM_CHROMIUM names the browser binary (default: Debian's chromium).
# The machine may have no network; nothing here needs one.
capsim=$1
root=$2
if [ -z "$capsim" ] || [ -z "$root" ]; then
    echo "usage: $0 CAPSIM_BIN SRC_DIR" >&2
    exit 2
fi

browser=
for b in ${CAPSIM_CHROMIUM:-/usr/bin/chromium chromium chromium-browser}; do
    if command -v "$b" >/dev/null 2>&1; then
        browser=$(command -v "$b")
        break
    fi
done
if [ -z "$browser" ]; then
    if [ "${CAPSIM_SKIP_BROWSER:-0}" = 1 ]; then
        echo "SKIP: chromium is not installed (CAPSIM_SKIP_BROWSER=1)"
        exit 77
    fi
    echo "FAIL: chromium is not installed; install it (Debian: apt-get" \
         "install chromium) or set CAPSIM_SKIP_BROWSER=1 to skip" >&2
    exit 1
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "FAIL: python3 is needed to read the screenshot" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
pass=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# The 10k-user benchmark cut down to 100 tenants: stochastic, replicated,
# two deployments with six line items between them.
stoch=$tmp/stochastic.yaml
sed 's/^\( *tenants:\) *10000 *$/\1 100/' \
    "$root/bench/scenarios/10k-users-x10.yaml" >"$stoch"
if ! grep -q '^ *tenants: 100$' "$stoch"; then
    echo "FAIL: could not cut bench/scenarios/10k-users-x10.yaml down" >&2
    exit 1
fi

# Headless Chromium, isolated: its own profile, no network services.
chrome() {   # chrome OUTDIR ARGS...
    out=$1
    shift
    HOME=$out/home timeout 120 "$browser" --headless --no-sandbox \
        --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update \
        --disable-sync --disable-extensions --hide-scrollbars \
        --force-device-scale-factor=1 --user-data-dir="$out/profile" \
        --window-size=1280,2400 "$@"
}

# check NAME SCENARIO MIN_SVG
check() {
    name=$1 scn=$2 want_svg=$3
    out=$tmp/$name
    mkdir -p "$out/home"
    if ! "$capsim" run "$scn" --out "$out" --quiet >"$out/stdout" \
        2>"$out/stderr"; then
        bad "$name: capsim run --out failed"
        cat "$out/stderr"
        return
    fi
    for f in results.json costs.csv report.md report.html; do
        if [ -s "$out/$f" ]; then ok; else bad "$name: no $f"; return; fi
    done
    # Self-contained: nothing to fetch (xmlns values are names, not links).
    if grep -Eq '(src|href)="(https?:)?//|<script|<link' "$out/report.html"
    then bad "$name: report.html refers to something outside itself"
    else ok; fi

    url="file://$out/report.html"
    chrome "$out" --dump-dom "$url" >"$out/dom.html" 2>"$out/chrome.err"
    chrome "$out" --screenshot="$out/shot.png" "$url" >/dev/null \
        2>>"$out/chrome.err"
    if [ ! -s "$out/dom.html" ] || [ ! -s "$out/shot.png" ]; then
        bad "$name: chromium produced no DOM or screenshot"
        tail -20 "$out/chrome.err"
        return
    fi
    if python3 - "$out" "$want_svg" <<'EOF'
import json, re, struct, sys, zlib

out, want_svg = sys.argv[1], int(sys.argv[2])
problems = []

# -- the rendered DOM --------------------------------------------------------
dom = open(out + '/dom.html', encoding='utf-8').read()
res = json.load(open(out + '/results.json'))
names = [d['name'] for d in res['deployments']]
m = re.search(r'<table class="costs">(.*?)</table>', dom, re.S)
if not m:
    problems.append('no cost table in the rendered DOM')
else:
    for n in names:
        esc = n.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
        if '<td>%s</td>' % esc not in m.group(1):
            problems.append('cost table lacks deployment %r' % n)
svgs = len(re.findall(r'<svg\b', dom))
if svgs < want_svg:
    problems.append('%d <svg> charts in the DOM, expected %d'
                    % (svgs, want_svg))

# -- the screenshot ----------------------------------------------------------
def decode_png(path):
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG')
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        n, typ = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if typ == b'IHDR':
            hdr = struct.unpack('>IIBBBBB', body)
        elif typ == b'IDAT':
            idat.append(body)
        elif typ == b'IEND':
            break
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError('unsupported PNG: depth %d, colour type %d, '
                         'interlace %d' % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b''.join(idat))
    stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        f = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        if f == 1:
            for x in range(bpp, stride):
                line[x] = (line[x] + line[x - bpp]) & 255
        elif f == 2:
            for x in range(stride):
                line[x] = (line[x] + prev[x]) & 255
        elif f == 3:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                line[x] = (line[x] + ((a + prev[x]) >> 1)) & 255
        elif f == 4:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc
                                      else b if pb <= pc else c)) & 255
        elif f != 0:
            raise ValueError('bad PNG filter type %d' % f)
        rows.append(line)
        prev = line
    return w, h, bpp, rows

w, h, bpp, rows = decode_png(out + '/shot.png')
if (w, h) != (1280, 2400):
    problems.append('screenshot is %dx%d, expected 1280x2400' % (w, h))

# (b) Text where the summary and cost table are, below the header band:
# near-black, grey pixels (the header is dark blue, so not counted).
dark = 0
for y in range(110, min(h, 700)):
    r = rows[y]
    for x in range(0, w * bpp, bpp):
        R, G, B = r[x], r[x + 1], r[x + 2]
        if max(R, G, B) < 90 and max(R, G, B) - min(R, G, B) < 25:
            dark += 1
if dark < 1500:
    problems.append('only %d dark text pixels under the header' % dark)

# (c) Chart colours: saturated pixels by hue, in 12 bins of 30 degrees.
# The header's blue is above y=110 and not counted.
bins = [0] * 12
for y in range(110, h, 2):
    r = rows[y]
    for x in range(0, w * bpp, 2 * bpp):
        R, G, B = r[x], r[x + 1], r[x + 2]
        mx, mn = max(R, G, B), min(R, G, B)
        if mx - mn < 60:
            continue
        d = float(mx - mn)
        if mx == R:
            hue = ((G - B) / d) % 6
        elif mx == G:
            hue = (B - R) / d + 2
        else:
            hue = (R - G) / d + 4
        bins[int(hue * 2) % 12] += 1
colours = sum(1 for n in bins if n >= 150)
if colours < 3:
    problems.append('%d distinct chart colours drawn, expected 3 or more '
                    '(hue bins %s)' % (colours, bins))

for p in problems:
    print('  ' + p)
print('  %d deployments, %d svg, %d dark pixels, %d chart colours'
      % (len(names), svgs, dark, colours))
sys.exit(1 if problems else 0)
EOF
    then ok
    else bad "$name: report.html does not render as expected (see above;" \
             "set CAPSIM_BROWSER_KEEP=DIR to keep the page and screenshot)"
    fi
    if [ -n "${CAPSIM_BROWSER_KEEP:-}" ]; then
        mkdir -p "$CAPSIM_BROWSER_KEEP" &&
            cp -R "$out" "$CAPSIM_BROWSER_KEEP/" &&
            rm -rf "$CAPSIM_BROWSER_KEEP/$name/profile" \
                   "$CAPSIM_BROWSER_KEEP/$name/home"
    fi
}

check fluid "$root/scenarios/default.yaml" 2
check stochastic "$stoch" 4

echo "report_browser: $pass passed, $fail failed"
[ "$fail" = 0 ]
