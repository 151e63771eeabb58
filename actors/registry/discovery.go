package registry

import (
	"context"
	"strings"
	"time"

	"github.com/gamend-go/gamend/persistence"
)

// TableDiscovery finds cluster members through the shared database: each
// node upserts its row in cluster_nodes every few heartbeats, and peers are
// the rows refreshed within the TTL. Multi-node requires PostgreSQL, so this
// is the zero-configuration way nodes sharing one database find each other.
type TableDiscovery struct {
	db  *persistence.DB
	ttl time.Duration
}

// NewTableDiscovery returns a discovery over db's cluster_nodes table.
func NewTableDiscovery(db *persistence.DB, ttl time.Duration) *TableDiscovery {
	return &TableDiscovery{db: db, ttl: ttl}
}

// Announce implements Discovery.
func (d *TableDiscovery) Announce(ctx context.Context, self Member) error {
	_, err := d.db.Exec(ctx, `INSERT INTO cluster_nodes (node_id, address, kinds, heartbeat_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (node_id) DO UPDATE SET address = excluded.address, kinds = excluded.kinds, heartbeat_at = excluded.heartbeat_at`,
		self.ID, self.Address, strings.Join(self.Kinds, ","), persistence.Now())
	return err
}

// Peers implements Discovery.
func (d *TableDiscovery) Peers(ctx context.Context) ([]string, error) {
	rows, err := d.db.Query(ctx, `SELECT address FROM cluster_nodes WHERE heartbeat_at > ?`, persistence.Now().Add(-d.ttl))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Leave implements Discovery.
func (d *TableDiscovery) Leave(ctx context.Context, self Member) error {
	_, err := d.db.Exec(ctx, `DELETE FROM cluster_nodes WHERE node_id = ?`, self.ID)
	return err
}
