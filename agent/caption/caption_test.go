package caption

import (
	"image"
	"image/color"
	"image/draw"
	"testing"
)

const provinces = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼港澳学警挂使领"

func TestFontParsesAndCovers(t *testing.T) {
	if _, err := Font(); err != nil {
		t.Fatal(err)
	}
	if len(fontData) > 1<<20 {
		t.Errorf("the embedded font is %d bytes, over 1 MiB", len(fontData))
	}
	for _, r := range provinces + "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789" {
		if !Covers(string(r)) {
			t.Errorf("no glyph for %q", r)
		}
	}
	if Covers("𝄞") {
		t.Error("a character outside the subset is covered")
	}
}

// TestWordsCovered: every Chinese label is drawn with real glyphs.
func TestWordsCovered(t *testing.T) {
	for key, w := range words[Chinese] {
		if !Covers(w) {
			t.Errorf("%s: %q has characters outside font/chars.txt", key, w)
		}
	}
	for _, s := range []string{Verdict(Chinese, true, 0.62, 0.5), CheckVerdict(Chinese, "cover", "heaped", true, 0.9, 0.5),
		CheckVerdict(Chinese, "cover", "torn", true, 0.9, 0.5), CheckVerdict(Chinese, "cover", "covered", false, 0.1, 0.5), PlateLine(Chinese, "苏A99999", 31200), AlarmLine(Chinese, []string{"overload", "registry"})} {
		if !Covers(s) {
			t.Errorf("%q is not covered", s)
		}
	}
}

// TestDraw: the text leaves ink of its colour, and a wider line for more characters.
func TestDraw(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 400, 60))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{128, 128, 128, 255}), image.Point{}, draw.Src)
	w1, err := Draw(img, Text{S: "苏A99999", At: image.Pt(10, 40), Px: 28, Color: color.RGBA{255, 255, 255, 255}})
	if err != nil {
		t.Fatal(err)
	}
	white := 0
	for y := 0; y < 60; y++ {
		for x := 0; x < 400; x++ {
			if c := img.RGBAAt(x, y); c.R == 255 && c.G == 255 && c.B == 255 {
				white++
			}
		}
	}
	if white < 100 {
		t.Errorf("%d white pixels drawn", white)
	}
	w2, _ := Draw(img, Text{S: "苏A99999 超载", At: image.Pt(10, 40), Px: 28, Color: color.White})
	if w1 < 7*10 || w2 <= w1 {
		t.Errorf("widths %d, %d", w1, w2)
	}
}

func BenchmarkDrawCaption(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	for b.Loop() {
		_, _ = Draw(img, Text{S: PlateLine(Chinese, "苏A99999", 31200), At: image.Pt(10, 80), Px: 32, Color: color.White})
	}
}

// TestCheckVerdict: the cover line names the kind found; the mud line is as it was.
func TestCheckVerdict(t *testing.T) {
	for _, c := range []struct {
		lang, check, kind string
		alarm             bool
		want              string
	}{
		{English, "mud", "", true, "MUD ALARM  score 0.62  threshold 0.50"},
		{Chinese, "mud", "", false, "正常  评分 0.62  阈值 0.50"},
		{English, "cover", "heaped", true, "COVER ALARM heaped  score 0.62  threshold 0.50"},
		{Chinese, "cover", "torn", true, "未苫盖 破损  评分 0.62  阈值 0.50"},
		{Chinese, "cover", "uncovered", true, "未苫盖  评分 0.62  阈值 0.50"},
		{English, "cover", "covered", false, "COVER OK covered  score 0.62  threshold 0.50"},
	} {
		if got := CheckVerdict(c.lang, c.check, c.kind, c.alarm, 0.62, 0.5); got != c.want {
			t.Errorf("CheckVerdict(%s, %s, %s, %v) = %q, want %q", c.lang, c.check, c.kind, c.alarm, got, c.want)
		}
	}
	if Verdict(English, true, 0.62, 0.5) != CheckVerdict(English, "mud", "", true, 0.62, 0.5) {
		t.Error("Verdict is not the mud line")
	}
}
