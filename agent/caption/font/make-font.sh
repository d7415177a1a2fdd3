#!/bin/sh
# Rebuilds the evidence font: the glyphs of font/chars.txt from Noto Sans CJK SC Bold (Debian
# fonts-noto-cjk, SIL Open Font License 1.1), subset with fontTools (python3-fonttools) to a
# small OpenType file the agent embeds (go:embed) and draws with golang.org/x/image/font/opentype.
# Run from the repository's root: make font.
set -eu
here=$(dirname "$0")
src=${NOTO_CJK_BOLD:-/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc}
# The collection's third face (index 2) is Simplified Chinese.
/usr/bin/python3 -m fontTools.subset "$src" --font-number=2 \
	--text-file="$here/chars.txt" \
	--layout-features='' --no-hinting --desubroutinize \
	--name-IDs='*' --name-languages=0x409 --drop-tables+=DSIG,VORG,vhea,vmtx \
	--output-file="$here/NotoSansSC-Bold-evidence.otf"
cp /usr/share/doc/fonts-noto-cjk/copyright "$here/LICENSE-NotoSansCJK.txt"
ls -l "$here/NotoSansSC-Bold-evidence.otf"
