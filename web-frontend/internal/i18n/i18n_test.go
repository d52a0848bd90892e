package i18n

import "testing"

func TestPickLang(t *testing.T) {
	tests := []struct{ header, want string }{
		{"", "en"},
		{"ja", "ja"},
		{"ja-JP", "ja"},
		{"JA", "ja"},
		{"en-US,en;q=0.9,ja;q=0.8", "en"},
		{"ja,en;q=0.8", "ja"},
		{"fr-FR,ja;q=0.5,en;q=0.4", "ja"},
		{"fr, de", "en"},
		{"ja;q=0", "en"},
		{"en;q=0.1, ja;q=0.2", "ja"},
		{"ja;q=bogus", "en"},
		{";;;,,,", "en"},
		{"*", "en"},
		{"en-GB;q=0.9, ja-JP;q=0.95", "ja"},
		{"de-DE, en-GB;q=0.5", "en"},
	}
	for _, tt := range tests {
		if got, _ := New().Pick(tt.header); got != tt.want {
			t.Errorf("Pick(%q): got %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestCatalogsHaveTheSameKeys(t *testing.T) {
	c := New()
	for key := range c.Texts(EN) {
		if c.Texts(JA)[key] == "" {
			t.Errorf("ja lacks %q", key)
		}
	}
	for key := range c.Texts(JA) {
		if c.Texts(EN)[key] == "" {
			t.Errorf("en lacks %q", key)
		}
	}
	if got := c.Texts(JA)["msg_expired"]; got != "セッションの有効期限が切れているか無効です。再度ログインしてください。" {
		t.Errorf("ja expiry message is %q, want the seed's", got)
	}
}
