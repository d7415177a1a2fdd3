package caption

import (
	"fmt"
	"strings"
)

// Languages of the words.
const (
	Chinese = "zh"
	English = "en"
)

// words are the labels drawn on evidence images, by language. Every character of the Chinese
// ones is in font/chars.txt (TestWordsCovered).
var words = map[string]map[string]string{
	Chinese: {
		"mud.alarm": "带泥", "mud.ok": "正常", "score": "评分", "threshold": "阈值",
		"plate": "车牌", "no_plate": "无车牌", "weight": "重量", "kg": "kg",
		"overload": "超载", "registry": "未登记", "permit": "超出许可", "no_weight": "无称重", "mud": "带泥",
		"cover": "未苫盖", "wash": "未冲洗", "manifest": "无联单", "alarms": "报警", "time": "时间",
		"cover.alarm": "未苫盖", "cover.ok": "正常", "cover.covered": "已苫盖", "cover.open": "未覆盖",
		"cover.torn": "破损", "cover.heaped": "高尖", "cover.uncovered": "未苫盖",
	},
	English: {
		"mud.alarm": "MUD ALARM", "mud.ok": "MUD OK", "score": "score", "threshold": "threshold",
		"plate": "plate", "no_plate": "no plate", "weight": "", "kg": "kg",
		"overload": "overload", "registry": "unregistered", "permit": "permit", "no_weight": "no weight", "mud": "mud",
		"cover": "uncovered", "wash": "not washed", "manifest": "no manifest", "alarms": "alarms", "time": "",
		"cover.alarm": "COVER ALARM", "cover.ok": "COVER OK", "cover.covered": "covered", "cover.open": "open",
		"cover.torn": "torn", "cover.heaped": "heaped", "cover.uncovered": "uncovered",
	},
}

// Word is a label in lang (Chinese for an unknown language); an unknown key is itself.
func Word(lang, key string) string {
	w, ok := words[lang]
	if !ok {
		w = words[Chinese]
	}
	if s, ok := w[key]; ok {
		return s
	}
	return key
}

// Verdict is the mud line: the verdict, the score and the threshold.
func Verdict(lang string, alarm bool, score, threshold float64) string {
	return CheckVerdict(lang, "mud", "", alarm, score, threshold)
}

// CheckVerdict is a camera check's line: its verdict ("{check}.ok" or "{check}.alarm"), the
// kind found when the check tells kinds apart (the cover check's "{check}.{kind}": torn,
// heaped, ...), the score and the threshold.
func CheckVerdict(lang, check, kind string, alarm bool, score, threshold float64) string {
	v := Word(lang, check+".ok")
	if alarm {
		v = Word(lang, check+".alarm")
	}
	if k := Word(lang, check+"."+kind); kind != "" && k != v {
		v += " " + k
	}
	return fmt.Sprintf("%s  %s %.2f  %s %.2f", v, Word(lang, "score"), score, Word(lang, "threshold"), threshold)
}

// PlateLine is the plate and the weight: "车牌 苏A99999  重量 31200 kg".
func PlateLine(lang, plate string, weightKg float64) string {
	var parts []string
	if plate != "" {
		parts = append(parts, Word(lang, "plate")+" "+plate)
	} else {
		parts = append(parts, Word(lang, "no_plate"))
	}
	if weightKg > 0 {
		parts = append(parts, strings.TrimSpace(fmt.Sprintf("%s %.0f %s", Word(lang, "weight"), weightKg, Word(lang, "kg"))))
	}
	return strings.Join(parts, "  ")
}

// AlarmLine names the passage's other alarms (overload, registry, ...), "" when there are none.
func AlarmLine(lang string, alarms []string) string {
	if len(alarms) == 0 {
		return ""
	}
	ws := make([]string, len(alarms))
	for i, a := range alarms {
		ws[i] = Word(lang, a)
	}
	return Word(lang, "alarms") + ": " + strings.Join(ws, " ")
}
