-- nianbao warehouse schema. Every write is delete-then-insert by document hash, so runs are idempotent.
CREATE TABLE IF NOT EXISTS jurisdictions (
    code VARCHAR PRIMARY KEY, name VARCHAR, level VARCHAR, parent_code VARCHAR, parent_name VARCHAR,
    province_code VARCHAR, province_name VARCHAR);
-- Simplified outlines of division-coded units for the map (GeoJSON geometry as text; see BOUNDARIES.md).
CREATE TABLE IF NOT EXISTS boundaries (
    code VARCHAR PRIMARY KEY, name VARCHAR, level VARCHAR, parent_code VARCHAR, geometry VARCHAR, source VARCHAR);
CREATE TABLE IF NOT EXISTS documents (
    sha256 VARCHAR PRIMARY KEY, file_name VARCHAR, stored_path VARCHAR, size_bytes BIGINT,
    first_seen_at TIMESTAMP, synthetic BOOLEAN);
CREATE TABLE IF NOT EXISTS reports (
    sha256 VARCHAR PRIMARY KEY, file_name VARCHAR, format VARCHAR, parser_version VARCHAR, status VARCHAR,
    issuer VARCHAR, title VARCHAR, year INTEGER, year_source VARCHAR, published_at DATE, published_at_source VARCHAR,
    deadline DATE, jurisdiction_status VARCHAR, jurisdiction_code VARCHAR, jurisdiction_name VARCHAR,
    parent_code VARCHAR, parent_name VARCHAR, province_code VARCHAR, province_name VARCHAR,
    issuer_kind VARCHAR, department VARCHAR, scope VARCHAR, report_level VARCHAR,
    t2_version VARCHAR, t3_version VARCHAR, t4_version VARCHAR, error VARCHAR, synthetic BOOLEAN, body_text VARCHAR,
    narrative VARCHAR);
CREATE TABLE IF NOT EXISTS cells (
    sha256 VARCHAR, key VARCHAR, value DOUBLE, status VARCHAR, source VARCHAR, raw VARCHAR, note VARCHAR);
CREATE TABLE IF NOT EXISTS checks (
    sha256 VARCHAR, code VARCHAR, kind VARCHAR, status VARCHAR, severity VARCHAR, detail VARCHAR);
CREATE TABLE IF NOT EXISTS ingest_errors (
    sha256 VARCHAR PRIMARY KEY, file_name VARCHAR, parser_version VARCHAR, error_code VARCHAR, reason VARCHAR,
    failed_at TIMESTAMP);
ALTER TABLE ingest_errors ADD COLUMN IF NOT EXISTS detail VARCHAR;
ALTER TABLE checks ADD COLUMN IF NOT EXISTS cells VARCHAR;  -- comma-separated cell keys the check compared
-- The latest scan of the inbox: every entry ends in exactly one of these two tables (path as bytes: names need not
-- be UTF-8; `path` is decoded for display). A received file's outcome is its document's report or ingest error.
CREATE TABLE IF NOT EXISTS received_files (
    path_bytes BLOB, path VARCHAR, sha256 VARCHAR, size_bytes BIGINT, seen_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS skipped_inputs (
    path_bytes BLOB, path VARCHAR, reason_code VARCHAR, reason VARCHAR, seen_at TIMESTAMP);
CREATE OR REPLACE VIEW input_outcomes AS
    SELECT f.path_bytes, f.path, f.sha256,
           CASE WHEN r.sha256 IS NOT NULL THEN 'report' WHEN e.sha256 IS NOT NULL THEN 'ingest_error'
                ELSE 'not_parsed_yet' END AS outcome,
           coalesce(e.error_code, r.status) AS reason_code, coalesce(e.reason, r.error) AS reason
    FROM received_files f LEFT JOIN reports r USING (sha256) LEFT JOIN ingest_errors e USING (sha256)
    UNION ALL
    SELECT path_bytes, path, NULL, 'skipped', reason_code, reason FROM skipped_inputs;
-- Where fetched documents came from (every fetch-log entry in the inbox), and reports changed after publication.
CREATE TABLE IF NOT EXISTS document_sources (
    url VARCHAR, sha256 VARCHAR, source VARCHAR, code VARCHAR, title VARCHAR, fetched_at TIMESTAMP,
    last_modified VARCHAR, etag VARCHAR, page_published_at DATE, previous_sha256 VARCHAR);
CREATE TABLE IF NOT EXISTS revisions (
    url VARCHAR, old_sha256 VARCHAR, new_sha256 VARCHAR, detected_at TIMESTAMP, changed_cells VARCHAR);
ALTER TABLE documents ADD COLUMN IF NOT EXISTS source_url VARCHAR;
-- The reporting body (see catalogue `department_types`): the mart has one row per jurisdiction × body × year.
ALTER TABLE reports ADD COLUMN IF NOT EXISTS body_kind VARCHAR;
ALTER TABLE reports ADD COLUMN IF NOT EXISTS body_key VARCHAR;
ALTER TABLE reports ADD COLUMN IF NOT EXISTS body_name VARCHAR;
ALTER TABLE reports ADD COLUMN IF NOT EXISTS registry_conflict VARCHAR;
