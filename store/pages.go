package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/hookflow/hookflow/flows"
)

// Pages of connectors, versions and connections: a page is read after a
// cursor (keyset: the sort key of the last item seen, so that items added
// or removed meanwhile never make a page repeat or skip one) or after an
// offset, one item more than asked telling whether a next page exists.

// encodeCursor makes an opaque cursor of the sort key of an item.
func encodeCursor(key any) string {
	b, _ := json.Marshal(key)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor made by encodeCursor into key.
func decodeCursor(cursor string, key any) error {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil {
		err = json.Unmarshal(b, key)
	}
	if err != nil {
		return fmt.Errorf("%w: the cursor %q is not one this list gave; start again without it", flows.ErrInvalid, cursor)
	}
	return nil
}

// nameLike filters q by a part of column's value, in any case.
func nameLike(q *gorm.DB, column, text string) *gorm.DB {
	if text = strings.TrimSpace(text); text == "" {
		return q
	}
	return q.Where("LOWER("+column+") LIKE ? ESCAPE '\\'", "%"+likeEscape(strings.ToLower(text))+"%")
}

// paged limits q to the page lq asks for, after its offset; a cursor has
// been applied by the caller.
func paged(q *gorm.DB, lq flows.ListQuery) *gorm.DB {
	q = q.Limit(lq.Limit + 1)
	if lq.Cursor == "" && lq.Offset > 0 {
		q = q.Offset(lq.Offset)
	}
	return q
}

// connectorKey is the sort key of a connector in a list: name, then id.
type connectorKey struct {
	Name string `json:"n"`
	ID   int64  `json:"i"`
}

// ConnectorPage answers a page of connectors by name, with their flow
// counts.
func (s *Store) ConnectorPage(ctx context.Context, lq flows.ListQuery) (flows.Page[flows.Connector], error) {
	var out flows.Page[flows.Connector]
	q := nameLike(s.connectorsQuery(ctx), "connectors.name", lq.Text)
	if lq.Cursor != "" {
		var k connectorKey
		if err := decodeCursor(lq.Cursor, &k); err != nil {
			return out, err
		}
		q = q.Where("connectors.name > ? OR (connectors.name = ? AND connectors.id > ?)", k.Name, k.Name, k.ID)
	}
	var rs []connectorRecord
	if err := paged(q.Order("connectors.name, connectors.id"), lq).Find(&rs).Error; err != nil {
		return out, fmt.Errorf("store: connectors: %w", err)
	}
	if len(rs) > lq.Limit {
		rs = rs[:lq.Limit]
		last := rs[len(rs)-1]
		out.Next = encodeCursor(connectorKey{Name: last.Name, ID: last.ID})
	}
	out.Items = make([]flows.Connector, 0, len(rs))
	for _, r := range rs {
		c, err := r.toFlows()
		if err != nil {
			return out, err
		}
		out.Items = append(out.Items, c)
	}
	return out, nil
}

// VersionPage answers a page of a connector's deployed versions, newest
// first, without their snapshots.
func (s *Store) VersionPage(ctx context.Context, connectorID int64, lq flows.ListQuery) (flows.Page[flows.ConnectorVersion], error) {
	var out flows.Page[flows.ConnectorVersion]
	q := s.db.WithContext(ctx).Model(&versionRecord{}).Select("connector_id", "version", "created_at", "created_by").
		Where("connector_id = ?", connectorID)
	if lq.Cursor != "" {
		var before int
		if err := decodeCursor(lq.Cursor, &before); err != nil {
			return out, err
		}
		q = q.Where("version < ?", before)
	}
	var rs []versionRecord
	if err := paged(q.Order("version DESC"), lq).Find(&rs).Error; err != nil {
		return out, fmt.Errorf("store: versions of connector %d: %w", connectorID, err)
	}
	if len(rs) > lq.Limit {
		rs = rs[:lq.Limit]
		out.Next = encodeCursor(rs[len(rs)-1].Version)
	}
	out.Items = make([]flows.ConnectorVersion, 0, len(rs))
	for _, r := range rs {
		out.Items = append(out.Items, flows.ConnectorVersion{ConnectorID: r.ConnectorID, Version: r.Version, CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy})
	}
	return out, nil
}

// ConnectionPage answers a page of connections (of one connector when
// lq.ConnectorID is set), newest first, with their connector's name.
func (s *Store) ConnectionPage(ctx context.Context, lq flows.ListQuery) (flows.Page[flows.Connection], error) {
	var out flows.Page[flows.Connection]
	q := nameLike(s.db.WithContext(ctx).Model(&connectionRecord{}), "name", lq.Text)
	if lq.ConnectorID != 0 {
		q = q.Where("connector_id = ?", lq.ConnectorID)
	}
	if lq.Cursor != "" {
		var before int64
		if err := decodeCursor(lq.Cursor, &before); err != nil {
			return out, err
		}
		q = q.Where("id < ?", before)
	}
	var rs []connectionRecord
	if err := paged(q.Order("id DESC"), lq).Find(&rs).Error; err != nil {
		return out, fmt.Errorf("store: connections: %w", err)
	}
	if len(rs) > lq.Limit {
		rs = rs[:lq.Limit]
		out.Next = encodeCursor(rs[len(rs)-1].ID)
	}
	names := map[int64]string{}
	out.Items = make([]flows.Connection, 0, len(rs))
	for _, r := range rs {
		c, err := s.connectionOf(r)
		if err != nil {
			return out, err
		}
		if _, ok := names[r.ConnectorID]; !ok {
			var con connectorRecord
			if err := s.db.WithContext(ctx).Select("id", "name").Take(&con, r.ConnectorID).Error; err == nil {
				names[r.ConnectorID] = con.Name
			}
		}
		c.ConnectorName = names[r.ConnectorID]
		out.Items = append(out.Items, c)
	}
	return out, nil
}
