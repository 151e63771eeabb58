package rest

import (
	"strconv"
)

// Page is a parsed page request (API.md §1.5).
type Page struct {
	Page     int
	PageSize int
}

// Offset is the number of rows before this page.
func (p Page) Offset() int { return (p.Page - 1) * p.PageSize }

// ParsePage reads `page` (default 1, <1 → 1, non-numeric → default) and
// `page_size` (default 25, clamped to [1, maxSize]).
func ParsePage(page, pageSize string, maxSize int) Page {
	p := Page{Page: 1, PageSize: 25}
	if n, err := strconv.Atoi(page); err == nil {
		p.Page = max(n, 1)
	}
	if n, err := strconv.Atoi(pageSize); err == nil {
		p.PageSize = n
	}
	if maxSize < 1 {
		maxSize = 100
	}
	p.PageSize = min(max(p.PageSize, 1), maxSize)
	return p
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
