package rest

import (
	"math"
	"strconv"
	"testing"
)

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

// TestHugePageKeepsOffsetSane: a page number whose offset would overflow
// is clamped, so the query gets a sane non-negative OFFSET and answers an
// empty page with correct meta.
func TestHugePageKeepsOffsetSane(t *testing.T) {
	tests := []struct {
		page, size string
		wantPage   int
		wantSize   int
	}{
		{"368934881474191034", "25", MaxPage, 25},
		{"9223372036854775807", "100", MaxPage, 100},
		{"99999999999999999999999", "10", MaxPage, 10},   // beyond int64: clamped, not the default
		{"-99999999999999999999999", "10", 1, 10},        // below int64: 1
		{"2", "99999999999999999999999", 2, 100},         // page_size beyond int64: clamped to max
		{"2", "-99999999999999999999999", 2, 1},          // and below: 1
		{strconv.Itoa(MaxPage), "100", MaxPage, 100},     // the largest page itself
		{strconv.Itoa(MaxPage + 1), "100", MaxPage, 100}, // one more
		{"368934881474191034", "368934881474191034", MaxPage, 100},
	}
	for _, tt := range tests {
		p := ParsePage(tt.page, tt.size, 100)
		if p.Page != tt.wantPage || p.PageSize != tt.wantSize {
			t.Errorf("ParsePage(%q,%q) = %+v", tt.page, tt.size, p)
		}
		if off := p.Offset(); off < 0 || off != (p.Page-1)*p.PageSize {
			t.Errorf("ParsePage(%q,%q).Offset() = %d", tt.page, tt.size, off)
		}
	}
	// Pages built by hand saturate instead of wrapping around.
	for _, p := range []Page{{Page: math.MaxInt, PageSize: 25}, {Page: math.MaxInt / 2, PageSize: 100}, {Page: 368934881474191034, PageSize: 100}} {
		if off := p.Offset(); off != math.MaxInt {
			t.Errorf("%+v.Offset() = %d, want saturated", p, off)
		}
	}
	if off := (Page{Page: 0, PageSize: 25}).Offset(); off != 0 {
		t.Errorf("page 0 offset %d", off)
	}
	if off := (Page{Page: 3, PageSize: 25}).Offset(); off != 50 {
		t.Errorf("page 3 offset %d", off)
	}
	m := NewMeta(ParsePage("368934881474191034", "25", 100), 0, 148, false)
	if m.Page != MaxPage || m.Count != 0 || m.TotalCount != 148 || m.TotalPages != 6 || m.HasMore {
		t.Errorf("out-of-range meta %+v", m)
	}
}
