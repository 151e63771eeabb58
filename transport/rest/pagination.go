package rest

import (
	"errors"
	"math"
	"strconv"
)

// MaxPage is the largest page number a request can ask for: larger values
// (and numbers too large for an int) are clamped to it, so the row offset
// stays far from overflowing and an out-of-range page is simply empty.
const MaxPage = math.MaxInt32

// Page is a parsed page request (API.md §1.5).
type Page struct {
	Page     int
	PageSize int
}

// Offset is the number of rows before this page. It never overflows: a
// page beyond what an int can address saturates at math.MaxInt (a valid
// OFFSET on both dialects, yielding an empty page).
func (p Page) Offset() int {
	if p.Page <= 1 || p.PageSize <= 0 {
		return 0
	}
	if p.Page-1 > math.MaxInt/p.PageSize {
		return math.MaxInt
	}
	return (p.Page - 1) * p.PageSize
}

// ParsePage reads `page` (default 1, <1 → 1, non-numeric → default, at most
// MaxPage) and `page_size` (default 25, clamped to [1, maxSize]). Numbers
// too large for an int are clamped like any other out-of-range value.
func ParsePage(page, pageSize string, maxSize int) Page {
	p := Page{Page: 1, PageSize: 25}
	if n, ok := atoiClamped(page); ok {
		p.Page = min(max(n, 1), MaxPage)
	}
	if n, ok := atoiClamped(pageSize); ok {
		p.PageSize = n
	}
	if maxSize < 1 {
		maxSize = 100
	}
	p.PageSize = min(max(p.PageSize, 1), maxSize)
	return p
}

// atoiClamped parses a decimal integer; values beyond the int range come
// back as math.MaxInt / math.MinInt instead of failing.
func atoiClamped(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	if err == nil || errors.Is(err, strconv.ErrRange) {
		return n, true
	}
	return 0, false
}

// Meta is the pagination block of list responses.
type Meta struct {
	Page       int  `json:"page"`
	PageSize   int  `json:"page_size"`
	Count      int  `json:"count"`
	TotalCount int  `json:"total_count"`
	TotalPages int  `json:"total_pages"`
	HasMore    bool `json:"has_more"`
}

// NewMeta computes the meta for a page holding count items out of total.
// minOnePage makes total_pages at least 1 when empty (notifications and
// achievements lists).
func NewMeta(p Page, count, total int, minOnePage bool) Meta {
	pages := 0
	if p.PageSize > 0 {
		pages = (total + p.PageSize - 1) / p.PageSize
	}
	if minOnePage && pages < 1 {
		pages = 1
	}
	return Meta{Page: p.Page, PageSize: p.PageSize, Count: count, TotalCount: total, TotalPages: pages, HasMore: p.Page < pages}
}

// List is the paginated list body {data:[...], meta:{...}}.
type List[T any] struct {
	Data []T  `json:"data"`
	Meta Meta `json:"meta"`
}

// PageQuery is embedded in huma inputs of paginated endpoints. The values
// are strings so non-numeric input falls back to the defaults instead of
// failing validation.
type PageQuery struct {
	PageParam     string `query:"page" doc:"1-based page number (default 1)" example:"1"`
	PageSizeParam string `query:"page_size" doc:"items per page (default 25, max LIMIT_MAX_PAGE_SIZE)" example:"25"`
}

// Page parses the query with the server's maximum page size.
func (q PageQuery) Page(maxSize int) Page { return ParsePage(q.PageParam, q.PageSizeParam, maxSize) }
