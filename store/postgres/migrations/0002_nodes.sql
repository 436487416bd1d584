-- Schema version 2: node records (store.Node), one per driftgate serve
-- process sharing the database, rewritten at each heartbeat.

CREATE TABLE nodes (
	name text COLLATE "C" PRIMARY KEY,
	data bytea NOT NULL
);
