-- Schema version 1 of driftgate's PostgreSQL store. Every record is kept
-- as its JSON (the same encoding the bbolt store uses) in a data column,
-- with the fields that queries select, order or lock by copied into
-- columns. Names and ids use the "C" collation so that they sort bytewise,
-- as bbolt's keys do. An empty repo (local runs) is stored as 'local'.

CREATE TABLE repos (
	name text COLLATE "C" PRIMARY KEY,
	data bytea NOT NULL
);

CREATE TABLE stacks (
	repo text COLLATE "C" NOT NULL,
	name text COLLATE "C" NOT NULL,
	data bytea NOT NULL,
	PRIMARY KEY (repo, name)
);

CREATE TABLE runs (
	id        text COLLATE "C" PRIMARY KEY, -- ULID: sorts by creation
	repo      text COLLATE "C" NOT NULL,
	stack     text COLLATE "C" NOT NULL,
	status    text NOT NULL,
	operation text NOT NULL,
	commit_id text NOT NULL,
	pr        bigint NOT NULL,
	data      bytea NOT NULL
);
CREATE INDEX runs_by_stack ON runs (repo, stack, id);
CREATE INDEX runs_by_status ON runs (status, id);
CREATE INDEX runs_by_op ON runs (operation, id);
CREATE INDEX runs_by_commit ON runs (commit_id, id);
-- At most one run per stack is running, whichever node runs it.
CREATE UNIQUE INDEX runs_one_running ON runs (repo, stack) WHERE status = 'running';

-- A run's plan: sizes and sha256 in columns, parts compressed (the file
-- sealed when a key is set).
CREATE TABLE plans (
	run_id        text COLLATE "C" PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
	sha256        text NOT NULL,
	file_size     bigint NOT NULL,
	json_size     bigint NOT NULL,
	text_size     bigint NOT NULL,
	analysis_size bigint NOT NULL,
	plan_json     bytea,
	plan_text     bytea,
	analysis      bytea,
	file          bytea
);

CREATE TABLE logs (
	run_id text COLLATE "C" PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
	log    bytea NOT NULL
);

CREATE TABLE drift_status (
	repo  text COLLATE "C" NOT NULL,
	stack text COLLATE "C" NOT NULL,
	data  bytea NOT NULL,
	PRIMARY KEY (repo, stack)
);

CREATE TABLE drift_findings (
	repo     text COLLATE "C" NOT NULL,
	stack    text COLLATE "C" NOT NULL,
	id       text COLLATE "C" NOT NULL,
	resolved boolean NOT NULL,
	data     bytea NOT NULL,
	PRIMARY KEY (repo, stack, id)
);

CREATE TABLE deliveries (
	id     text COLLATE "C" PRIMARY KEY,
	repo   text COLLATE "C" NOT NULL,
	stack  text COLLATE "C" NOT NULL,
	status text NOT NULL,
	data   bytea NOT NULL
);
CREATE INDEX deliveries_by_status ON deliveries (status, id);

-- Append-only: the store has no call that changes or deletes an entry.
CREATE TABLE audit (
	id     text COLLATE "C" PRIMARY KEY,
	repo   text NOT NULL,
	stack  text NOT NULL,
	actor  text NOT NULL,
	action text NOT NULL,
	data   bytea NOT NULL
);

-- The bbolt store's record format (store.EncodeStateVersion): compressed
-- JSON, the body sealed when a key is set. Serials are uint64.
CREATE TABLE state_versions (
	repo   text COLLATE "C" NOT NULL,
	stack  text COLLATE "C" NOT NULL,
	serial numeric(20, 0) NOT NULL,
	record bytea NOT NULL,
	PRIMARY KEY (repo, stack, serial)
);

CREATE TABLE holds (
	repo  text COLLATE "C" NOT NULL,
	stack text COLLATE "C" NOT NULL,
	data  bytea NOT NULL,
	PRIMARY KEY (repo, stack)
);

CREATE TABLE prs (
	repo         text COLLATE "C" NOT NULL,
	number       bigint NOT NULL,
	merge_commit text NOT NULL,
	data         bytea NOT NULL,
	PRIMARY KEY (repo, number)
);

CREATE TABLE webhook_ids (
	repo    text COLLATE "C" NOT NULL,
	id      text COLLATE "C" NOT NULL,
	seen_at timestamptz NOT NULL,
	PRIMARY KEY (repo, id)
);

-- One entry per target (store.OutboxItem.Key); seq orders its versions.
CREATE SEQUENCE forge_outbox_seq;
CREATE TABLE forge_outbox (
	k    bytea PRIMARY KEY,
	repo text COLLATE "C" NOT NULL,
	data bytea NOT NULL
);
