package rest

import "testing"

func TestParsePageAndMeta(t *testing.T) {
	tests := []struct {
		page, size       string
		max              int
		wantPage, wantSz int
	}{
		{"", "", 100, 1, 25},
		{"0", "0", 100, 1, 1},
		{"-3", "500", 100, 1, 100},
		{"abc", "x", 100, 1, 25},
		{"4", "10", 100, 4, 10},
		{"2", "250", 300, 2, 250},
	}
	for _, tt := range tests {
		p := ParsePage(tt.page, tt.size, tt.max)
		if p.Page != tt.wantPage || p.PageSize != tt.wantSz {
			t.Errorf("ParsePage(%q,%q,%d) = %+v", tt.page, tt.size, tt.max, p)
		}
	}
	m := NewMeta(Page{Page: 1, PageSize: 25}, 25, 148, false)
	if m.TotalPages != 6 || !m.HasMore || m.Count != 25 {
		t.Errorf("meta %+v", m)
	}
	m = NewMeta(Page{Page: 6, PageSize: 25}, 23, 148, false)
	if m.HasMore {
		t.Errorf("last page has_more: %+v", m)
	}
	if m := NewMeta(Page{Page: 1, PageSize: 25}, 0, 0, false); m.TotalPages != 0 || m.HasMore {
		t.Errorf("empty: %+v", m)
	}
	if m := NewMeta(Page{Page: 1, PageSize: 25}, 0, 0, true); m.TotalPages != 1 || m.HasMore {
		t.Errorf("empty min one: %+v", m)
	}
}
