package globs

// MatchSegments matches glob segments against name segments, match
// deciding single segments. "**" matches any run of segments; it is the
// "*" of the classic wildcard algorithm, so one backtracking point
// suffices.
func MatchSegments(pat, name []string, match func(pat, seg string) bool) bool {
	pi, ni := 0, 0
	starP, starN := -1, 0
	for ni < len(name) {
		switch {
		case pi < len(pat) && pat[pi] == "**":
			starP, starN = pi, ni
			pi++
		case pi < len(pat) && match(pat[pi], name[ni]):
			pi++
			ni++
		case starP >= 0:
			starN++
			pi, ni = starP+1, starN
		default:
			return false
		}
	}
	for pi < len(pat) && pat[pi] == "**" {
		pi++
	}
	return pi == len(pat)
}
