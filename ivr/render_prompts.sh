#!/bin/sh
# Renders the IVR prompts of one language to 8 kHz mono 16-bit PCM WAV files,
# the format ivr_prompts_load reads and G.711 RTP plays.
#
# Usage: render_prompts.sh LANGUAGE TEXT_DIR OUT_DIR VOICE_VI VOICE_EN
#
#   TEXT_DIR/NAME.txt       one prompt, spoken with LANGUAGE's voice; lines
#                           starting with # are left out, and a first line
#                           "#voice vi" or "#voice en" picks the other
#                           language's voice (for_english)
#   TEXT_DIR/fragments.tsv  NAME<TAB>TEXT lines: the short words that
#                           ivr_say_* joins into numbers, dates and codes
#   OUT_DIR/NAME.wav        the output, plus beep.wav (400 ms of 1 kHz) and
#                           silence_300.wav (300 ms), made by sox
#
# ESPEAK and SOX name the programs (defaults espeak-ng and sox). Only the
# files whose text changed are rendered again; a change of voice, of speed
# or of this script renders them all.
set -eu

if [ $# -ne 5 ]; then
	echo "usage: render_prompts.sh LANGUAGE TEXT_DIR OUT_DIR VOICE_VI VOICE_EN" >&2
	exit 2
fi
language=$1
text_dir=$2
out_dir=$3
voice_vi=$4
voice_en=$5
espeak=${ESPEAK:-espeak-ng}
sox=${SOX:-sox}

# 150 words a minute, slower than espeak-ng's default of 175, for a phone line.
speed=150
# Every file is trimmed of the silence espeak-ng puts around speech (about
# 10 ms before and 420 ms after, measured with espeak-ng 1.51) and then
# padded: a fragment gets 80 ms after it, so that the words ivr_say_* joins
# come evenly spaced, a little slower than espeak-ng's own phrases; a
# sentence gets 250 ms. -50 dB keeps soft consonants that a 1% threshold
# cuts ("six" lost its final "s").
trim="silence 1 0.01 -50d reverse silence 1 0.01 -50d reverse"
fragment_pad=0.08
sentence_pad=0.25
# Telephone band, with headroom so that resampling does not clip.
filters="norm -3 highpass 300 lowpass 3400"

case $language in
vi) voice=$voice_vi ;;
en) voice=$voice_en ;;
*)
	echo "render_prompts.sh: unknown language $language (vi or en)" >&2
	exit 2
	;;
esac

mkdir -p "$out_dir"
work=$(mktemp -d "$out_dir/.render.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

# A recorded signature of everything that shapes the audio besides the
# texts: when it differs, every file is rendered again.
signature="voices=$voice_vi,$voice_en speed=$speed pads=$fragment_pad,$sentence_pad script=$(cksum <"$0")"
force=no
if [ ! -f "$out_dir/.signature" ] ||
	[ "$(cat "$out_dir/.signature")" != "$signature" ]; then
	force=yes
fi

# render TEXT_FILE VOICE PAD OUT: speech to the final format, through a
# temporary file so that an interrupted build leaves no partial output.
render() {
	"$espeak" -v "$2" -s "$speed" -f "$1" -w "$work/speech.wav"
	# shellcheck disable=SC2086 # $filters and $trim are effect lists
	"$sox" -q "$work/speech.wav" -r 8000 -c 1 -b 16 -e signed-integer \
		"$work/out.wav" $filters $trim pad 0 "$3"
	if [ "$("$sox" --i -s "$work/out.wav")" -lt 800 ]; then
		echo "render_prompts.sh: $4: less than 100 ms of speech from $1" >&2
		exit 1
	fi
	mv "$work/out.wav" "$4"
}

voice_of_text() {
	case $(head -n 1 "$1") in
	"#voice vi") echo "$voice_vi" ;;
	"#voice en") echo "$voice_en" ;;
	*) echo "$voice" ;;
	esac
}

names="$work/names"
: >"$names"

# add_name NAME: records an output, rejecting a name given twice.
add_name() {
	if grep -Fqx -- "$1" "$names"; then
		echo "render_prompts.sh: $text_dir: $1 is defined twice" >&2
		exit 1
	fi
	echo "$1" >>"$names"
}

for text in "$text_dir"/*.txt; do
	[ -f "$text" ] || continue
	name=$(basename "$text" .txt)
	add_name "$name"
	out="$out_dir/$name.wav"
	if [ "$force" = no ] && [ "$out" -nt "$text" ]; then
		continue
	fi
	grep -v '^#' "$text" >"$work/text.txt" || true
	render "$work/text.txt" "$(voice_of_text "$text")" "$sentence_pad" "$out"
done

# A fragment is rendered again when its line is not in the copy of the
# table from the last run.
previous="$out_dir/.fragments.tsv"
[ -f "$previous" ] || : >"$previous"
tab=$(printf '\t')
while IFS= read -r line; do
	case $line in
	"#"* | "") continue ;;
	esac
	name=${line%%"$tab"*}
	text=${line#*"$tab"}
	if [ "$name" = "$line" ] || [ -z "$text" ]; then
		echo "render_prompts.sh: $text_dir/fragments.tsv: expected NAME<TAB>TEXT, got: $line" >&2
		exit 1
	fi
	add_name "$name"
	out="$out_dir/$name.wav"
	if [ "$force" = no ] && [ -f "$out" ] && grep -Fqx -- "$line" "$previous"; then
		continue
	fi
	printf '%s\n' "$text" >"$work/text.txt"
	render "$work/text.txt" "$voice" "$fragment_pad" "$out"
done <"$text_dir/fragments.tsv"
cp "$text_dir/fragments.tsv" "$previous"

# Sounds, not speech: the recording beep (with 5 ms fades against clicks)
# and the pause between the groups of a spoken code.
if [ "$force" = yes ] || [ ! -f "$out_dir/beep.wav" ]; then
	"$sox" -q -n -r 8000 -c 1 -b 16 -e signed-integer "$work/out.wav" \
		synth 0.4 sine 1000 vol -6dB fade 0.005 0.4 0.005
	mv "$work/out.wav" "$out_dir/beep.wav"
fi
if [ "$force" = yes ] || [ ! -f "$out_dir/silence_300.wav" ]; then
	"$sox" -q -n -r 8000 -c 1 -b 16 -e signed-integer "$work/out.wav" \
		trim 0 0.3
	mv "$work/out.wav" "$out_dir/silence_300.wav"
fi
add_name beep
add_name silence_300

# Outputs whose text is gone.
for out in "$out_dir"/*.wav; do
	[ -f "$out" ] || continue
	if ! grep -Fqx -- "$(basename "$out" .wav)" "$names"; then
		rm -f "$out"
	fi
done

echo "$signature" >"$out_dir/.signature"
