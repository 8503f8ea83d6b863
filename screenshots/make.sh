#!/usr/bin/env bash
# make.sh regenerates screenshots/*.png from the real program: it builds
# h2ogpte-keys, runs `h2ogpte-keys demo` in a detached 140x40 tmux pane,
# drives it with send-keys, captures each screen with colours
# (`tmux capture-pane -e -p`) and renders it with charmbracelet/freeze (to
# SVG) and rsvg-convert (to PNG).
#
#   screenshots/make.sh            # from anywhere; needs go, tmux,
#                                  # rsvg-convert and the JetBrains Mono font
#   screenshots/make.sh rotate     # only the named screens are rendered
#                                  # and written; the rest are driven through
#
# The secret in secret.png is NOT the demo key's real secret: it is replaced
# by "sk-" and 48 "•" in the capture, before anything is written to disk, so
# no secret (not even a demo one) lands in a committed file.
set -euo pipefail

# The screens to render; all when none is named.
only=" $* "

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cols=140
rows=40
# A fixed port keeps the address in the header, and so the PNGs, the same
# from run to run.
port=${H2K_SHOTS_PORT:-18080}
sock="h2k-shots-$$"
work=$(mktemp -d)
placeholder="sk-$(printf '•%.0s' $(seq 48))"
secret_re='sk-[A-Za-z0-9]{48}'

# A clean environment for tmux and the dashboard: no config file, token or
# NO_COLOR of the person running this; a terminal with true colour.
t() {
	env -i PATH="$PATH" HOME="$work/home" TERM=xterm-256color COLORTERM=truecolor LANG=C.UTF-8 \
		tmux -L "$sock" -f /dev/null "$@"
}
socket_path=
cleanup() {
	t kill-server 2>/dev/null || true
	# tmux leaves its socket file behind.
	if [ -n "$socket_path" ] && [ "$(basename "$socket_path")" = "$sock" ]; then
		rm -f "$socket_path"
	fi
	rm -rf "$work"
}
trap cleanup EXIT
die() {
	echo "make.sh: $*" >&2
	exit 1
}

command -v tmux >/dev/null || die "tmux is required"
command -v go >/dev/null || die "go is required"

echo "make.sh: building h2ogpte-keys" >&2
(cd "$root" && go build -o "$work/h2ogpte-keys" .)

freeze=$(command -v freeze || true)
if [ -z "$freeze" ]; then
	echo "make.sh: installing freeze" >&2
	go install github.com/charmbracelet/freeze@v0.2.2
	gobin=$(go env GOBIN)
	freeze=${gobin:-$(go env GOPATH)/bin}/freeze
fi
# The options and the SGR workaround below are for this version.
case $("$freeze" --version 2>&1) in
*v0.2.2*) ;;
*) echo "make.sh: warning: $freeze is not freeze v0.2.2; the PNGs may differ" >&2 ;;
esac
# freeze draws the SVG; rsvg-convert (librsvg) turns it into the PNG.
# freeze's own PNG output runs resvg in wazero v1.8.0's compiler, which
# crashes (SIGSEGV) on the machines here with Go 1.26 and 1.24 builds alike.
# librsvg ignores the font freeze embeds, so the font must be installed.
command -v rsvg-convert >/dev/null || die "rsvg-convert is required (Debian: apt-get install librsvg2-bin)"
# (Not `fc-list | grep -q`: under pipefail, grep leaving early can fail it.)
[ -n "$(fc-list 'JetBrains Mono' 2>/dev/null)" ] ||
	die "the JetBrains Mono font is required (Debian: apt-get install fonts-jetbrains-mono)"

# freeze v0.2.2 understands only some SGR codes: it ignores 39/49 (default
# colours, so a colour bleeds into the rest of the line), reverse video,
# and keeps only the last attribute of a run. fixansi rewrites the capture
# so every run starts with a reset and its full colours spelt out.
mkdir -p "$work/fixansi" "$work/home" "$work/png"
cat >"$work/fixansi/go.mod" <<'EOF'
module fixansi

go 1.22
EOF
cat >"$work/fixansi/main.go" <<'EOF'
// fixansi copies tmux capture-pane -e output from stdin to stdout with every
// styled run written as ESC[0m, then its background (48;2), then its
// foreground (38;2): the subset freeze renders faithfully.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

type rgb struct{ r, g, b int }

// Freeze's own defaults and ANSI palette, so unstyled text looks as freeze
// draws it and basic colours keep freeze's hues.
var (
	defaultFG = rgb{0xC4, 0xC4, 0xC4}
	defaultBG = rgb{0x17, 0x17, 0x17}
	basic     = []rgb{
		{0x28, 0x2a, 0x2e}, {0xD7, 0x4E, 0x6F}, {0x31, 0xBB, 0x71}, {0xD3, 0xE5, 0x61},
		{0x80, 0x56, 0xFF}, {0xED, 0x61, 0xD7}, {0x04, 0xD7, 0xD7}, {0xC5, 0xC8, 0xC6},
		{0x4B, 0x4B, 0x4B}, {0xFE, 0x5F, 0x86}, {0x00, 0xD7, 0x87}, {0xEB, 0xFF, 0x71},
		{0x8F, 0x69, 0xFF}, {0xFF, 0x7A, 0xEA}, {0x00, 0xFE, 0xFE}, {0xFF, 0xFF, 0xFF},
	}
)

func xterm256(n int) rgb {
	switch {
	case n < 16:
		return basic[n]
	case n < 232:
		n -= 16
		level := func(v int) int {
			if v == 0 {
				return 0
			}
			return 55 + 40*v
		}
		return rgb{level(n / 36), level(n / 6 % 6), level(n % 6)}
	default:
		v := 8 + 10*(n-232)
		return rgb{v, v, v}
	}
}

type style struct {
	fg, bg           *rgb
	dim, reverse, on bool
}

func (s *style) apply(params []int) {
	for i := 0; i < len(params); i++ {
		p := params[i]
		switch {
		case p == 0:
			*s = style{}
		case p == 2:
			s.dim = true
		case p == 22:
			s.dim = false
		case p == 7:
			s.reverse = true
		case p == 27:
			s.reverse = false
		case p >= 30 && p <= 37:
			c := basic[p-30]
			s.fg = &c
		case p >= 90 && p <= 97:
			c := basic[p-90+8]
			s.fg = &c
		case p >= 40 && p <= 47:
			c := basic[p-40]
			s.bg = &c
		case p >= 100 && p <= 107:
			c := basic[p-100+8]
			s.bg = &c
		case p == 39:
			s.fg = nil
		case p == 49:
			s.bg = nil
		case p == 38 || p == 48:
			var c rgb
			if i+2 < len(params) && params[i+1] == 5 {
				c = xterm256(params[i+2])
				i += 2
			} else if i+4 < len(params) && params[i+1] == 2 {
				c = rgb{params[i+2], params[i+3], params[i+4]}
				i += 4
			} else {
				continue
			}
			if p == 38 {
				s.fg = &c
			} else {
				s.bg = &c
			}
		}
	}
}

func (s style) sgr() string {
	fg, bg := defaultFG, (*rgb)(nil)
	if s.fg != nil {
		fg = *s.fg
	}
	if s.bg != nil {
		b := *s.bg
		bg = &b
	}
	if s.reverse {
		b := fg
		fg = defaultBG
		if bg != nil {
			fg = *bg
		}
		bg = &b
	}
	if s.dim {
		back := defaultBG
		if bg != nil {
			back = *bg
		}
		fg = rgb{(fg.r + back.r) / 2, (fg.g + back.g) / 2, (fg.b + back.b) / 2}
	}
	out := "\x1b[0m"
	if bg != nil {
		out += fmt.Sprintf("\x1b[48;2;%d;%d;%dm", bg.r, bg.g, bg.b)
	}
	return out + fmt.Sprintf("\x1b[38;2;%d;%d;%dm", fg.r, fg.g, fg.b)
}

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fixansi:", err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	var cur style
	for _, line := range strings.Split(strings.TrimSuffix(string(in), "\n"), "\n") {
		written := ""
		for len(line) > 0 {
			if strings.HasPrefix(line, "\x1b[") {
				end := strings.IndexFunc(line[2:], func(r rune) bool { return r >= 0x40 && r <= 0x7e })
				if end < 0 {
					break
				}
				seq, final := line[2:2+end], line[2+end]
				line = line[3+end:]
				if final == 'm' {
					var params []int
					for _, f := range strings.FieldsFunc(seq, func(r rune) bool { return r == ';' || r == ':' }) {
						n, _ := strconv.Atoi(f)
						params = append(params, n)
					}
					if len(params) == 0 {
						params = []int{0}
					}
					cur.apply(params)
				}
				continue
			}
			if line[0] == 0x1b {
				line = line[1:]
				continue
			}
			next := strings.IndexByte(line, 0x1b)
			if next < 0 {
				next = len(line)
			}
			if s := cur.sgr(); s != written {
				w.WriteString(s)
				written = s
			}
			w.WriteString(line[:next])
			line = line[next:]
		}
		w.WriteString("\x1b[0m\n")
	}
}
EOF
(cd "$work/fixansi" && GOFLAGS= go build -o "$work/fixansi.bin" .)

# Freeze's PNGs are 4x unless a width is given; 1x at 16 px stays sharp and
# small. The width fits the pane's columns plus the padding.
font=16
padx=24
width=$(awk -v c="$cols" -v f="$font" -v p="$padx" 'BEGIN { printf "%d", (c + 1) * f / 1.68 + 2 * p + 1 }')

screen() { t capture-pane -p -t shots; }
key() { t send-keys -t shots "$@"; }
text() { t send-keys -t shots -l "$1"; }
redact() { sed -E "s/$secret_re/sk-<redacted>/g"; }

# wait_re REGEX: poll the screen every 50 ms (10 s at most) until it matches.
wait_re() {
	local i s
	for ((i = 0; i < 200; i++)); do
		s=$(screen)
		if [[ $s =~ $1 ]]; then
			return 0
		fi
		sleep 0.05
	done
	printf '%s\n' "$s" | redact >&2
	die "timed out waiting for /$1/"
}
# wait_text TEXT...: until every TEXT is on the screen.
wait_text() {
	local i s ok text
	for ((i = 0; i < 200; i++)); do
		s=$(screen)
		ok=1
		for text in "$@"; do
			[[ $s == *"$text"* ]] || ok=0
		done
		((ok)) && return 0
		sleep 0.05
	done
	printf '%s\n' "$s" | redact >&2
	die "timed out waiting for: $*"
}
# wait_gone TEXT: until TEXT has left the screen.
wait_gone() {
	local i
	for ((i = 0; i < 200; i++)); do
		[[ $(screen) == *"$1"* ]] || return 0
		sleep 0.05
	done
	die "timed out waiting for \"$1\" to go"
}
# wait_change BEFORE WHAT: until the screen differs from BEFORE.
wait_change() {
	local i
	for ((i = 0; i < 200; i++)); do
		[[ $(screen) != "$1" ]] && return 0
		sleep 0.05
	done
	printf '%s\n' "$1" | redact >&2
	die "timed out waiting for $2"
}

# goto NAME: move the cursor (the row with the ⋯ cell) to the key NAME.
goto() {
	local i s cur want
	for ((i = 0; i < rows; i++)); do
		s=$(screen)
		cur=$(grep -n '⋯$' <<<"$s" | head -n1 | cut -d: -f1 || true)
		want=$(grep -n -E "^[ ›]\[.\] +$1( |$)" <<<"$s" | head -n1 | cut -d: -f1 || true)
		[ -n "$want" ] || { printf '%s\n' "$s" | redact >&2; die "no row named $1 on the screen"; }
		[ -n "$cur" ] || die "no cursor row (⋯) on the screen"
		[ "$cur" = "$want" ] && return 0
		if ((cur < want)); then key j; else key k; fi
		wait_change "$s" "the cursor to move towards $1"
	done
	die "could not reach $1"
}

# start ARGS...: a fresh `demo` dashboard in the pane. The pane outlives the
# program, so a failed start leaves its error on the screen for wait_*.
start() {
	t kill-server 2>/dev/null || true
	# The last dashboard may still be letting go of the port.
	local i
	for ((i = 0; i < 100; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
		sleep 0.05
	done
	((i < 100)) || die "port $port is in use; pick another with H2K_SHOTS_PORT=N"
	socket_path=$(t start-server \; set-option -g remain-on-exit on \; \
		new-session -d -s shots -x "$cols" -y "$rows" "'$work/h2ogpte-keys' demo --listen 127.0.0.1:$port $*" \; \
		display-message -p '#{socket_path}')
}

# shoot NAME: render the pane as NAME.png (moved into screenshots/ once every
# screen is done). Secrets are replaced in the stream, before the capture
# reaches a file.
shoot() {
	[[ $only == "  " || $only == *" $1 "* ]] || return 0
	local ansi="$work/$1.ansi"
	t capture-pane -e -p -t shots | sed -E "s/$secret_re/$placeholder/g" | "$work/fixansi.bin" >"$ansi"
	if sed -E 's/\x1b\[[0-9;:]*m//g' "$ansi" | grep -Eq "$secret_re"; then
		die "a secret is left in $1's capture"
	fi
	"$freeze" "$ansi" --language ansi --window --border.radius 8 --background '#171717' \
		--font.size "$font" --padding "20,$padx" --width "$width" -o "$work/$1.svg" >/dev/null
	rsvg-convert "$work/$1.svg" -o "$work/png/$1.png"
	chmod 644 "$work/png/$1.png"
	echo "make.sh: rendered $1.png" >&2
}

# The user picker opens first without --user.
start
wait_text "Choose a user" "alice@example.com" "malice@example.com"
shoot picker

# Pick alice by typing (the filter matches loosely, so malice shows too).
text alice
wait_gone "bob@example.com"
for ((i = 0; i < 5; i++)); do
	s=$(screen)
	[[ $s =~ ›\ +alice\  ]] && break
	key Down
	wait_change "$s" "the picker to select the next user"
done
key Enter
wait_text "User: alice" "research-bot" "Total Calls"
goto ci-pipeline
shoot table

goto research-bot
key Enter
wait_text "Edit inactivity interval"
shoot actions
key Escape
wait_gone "Edit inactivity interval"

# The rotation's plan screen for the same key (R), left with esc.
key R
wait_text "Rotate research-bot" "Then the old key:"
shoot rotate
key Escape
wait_gone "Then the old key:"

key n
wait_text "New API key for alice" "none — global key"
text nightly-reports
wait_text "› nightly-reports"
key Enter
wait_re '┃ +Collection'
key Down
key Down
wait_re '› Research papers'
key Enter
wait_re '┃ +Allow key to expire'
key Enter
wait_re '┃ +Expires'
key C-u
text 30d
wait_text "› 30d"
key Enter
wait_re '┃ +Set inactivity interval'
key y
wait_re '┃ +Inactive days'
text 60
wait_re '› 60( |$)'
shoot newkey

key Enter
nl=$'\n'
wait_re "(^|$nl)$secret_re($|$nl)"
shoot secret
key Enter
wait_gone "shown once"
wait_re '\[.\] +nightly-reports '

# Three keys that no longer work: inactive, idle and expired.
for name in old-laptop jupyter trial; do
	goto "$name"
	s=$(screen)
	key Space
	wait_change "$s" "$name to be selected"
done
wait_text "3 selected"
key D
wait_text "[Cancel]"
shoot delete
key Escape
wait_gone "[Cancel]"

start --read-only --user alice
wait_text "READ-ONLY" "research-bot"
shoot readonly

# A key whose name a new key may not have (a right-to-left override in
# it): its rotation asks for a new name.
start --user erin
wait_text "User: erin" "hr-bot"
goto 'payroll.*exe'
key R
wait_text "Then the old key:" "Old name not kept"
text payroll-export
wait_text "› payroll-export"
shoot rotate-name

echo "make.sh: writing" $(cd "$work/png" && ls) "to $here" >&2
[ -n "$(ls "$work/png")" ] || die "no screen named$only"
mv "$work"/png/*.png "$here/"
