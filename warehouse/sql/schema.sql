-- nianbao warehouse schema. Every write is delete-then-insert by document hash, so runs are idempotent.
CREATE TABLE IF NOT EXISTS jurisdictions (
    code VARCHAR PRIMARY KEY, name VARCHAR, level VARCHAR, parent_code VARCHAR, parent_name VARCHAR,
    province_code VARCHAR, province_name VARCHAR);
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
