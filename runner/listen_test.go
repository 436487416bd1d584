package runner

import "testing"

func TestLoopback(t *testing.T) {
	tests := []struct {
		listen string
		want   bool
	}{
		{"127.0.0.1:8080", true},
		{"127.3.4.5:80", true},
		{"[::1]:8080", true},
		{"localhost:8080", true},
		{":8080", false},
		{"0.0.0.0:8080", false},
		{"10.0.0.5:8080", false},
		{"[::]:8080", false},
		{"driftgate.example.com:443", false},
		{"garbage", false},
	}
	for _, tt := range tests {
		if got := loopback(tt.listen); got != tt.want {
			t.Errorf("loopback(%q) = %v, want %v", tt.listen, got, tt.want)
		}
	}
}
