"""The seed (鄂托克前旗 2022, PDF text) parses to every cell exactly and all identities pass."""

from catalogue import load_catalogue, t3_key
from pipelines.report.parse import parse_file

from .conftest import SEED

T2 = {
    "t2_regulation_issued": 0,
    "t2_regulation_repealed": 0,
    "t2_regulation_in_force": 0,
    "t2_normative_doc_issued": 2,
    "t2_normative_doc_repealed": 6,
    "t2_normative_doc_in_force": 41,
    "t2_license_decisions": 1708,
    "t2_penalty_decisions": 1527,
    "t2_coercion_decisions": 38,
    "t2_admin_fee_amount": 4614.94,
}
# Non-zero table-3 cells; every other table-3 cell and all 15 table-4 cells are 0.
T3_NONZERO = {
    ("new_received", "natural_person"): 6,
    ("new_received", "total"): 6,
    ("granted", "natural_person"): 5,
    ("granted", "total"): 5,
    ("nohandle_repeat", "natural_person"): 1,
    ("nohandle_repeat", "total"): 1,
    ("total_processed", "natural_person"): 6,
    ("total_processed", "total"): 6,
}


def test_seed_every_cell():
    result = parse_file(SEED)
    assert result["status"] == "ok"
    assert result["template"] == {"t2": "v2021", "t3": "v2021", "t4": "v2021"}
    cells = result["cells"]
    for key, expected in T2.items():
        assert cells[key] == expected, key
    cat = load_catalogue()
    t3_keys = [t3_key(r.row, c) for r in cat.t3_data_rows("v2021") if r.row != "other_total" for c in cat.t3_columns]
    assert len(t3_keys) == 175
    for key in t3_keys:
        row, col = key[3:].split("__")
        assert cells[key] == T3_NONZERO.get((row, col), 0), key
    assert len(cat.t4_keys()) == 15
    assert all(cells[k] == 0 for k in cat.t4_keys())


def test_seed_identities_all_pass():
    result = parse_file(SEED)
    identity = [c for c in result["checks"] if c["kind"] == "identity"]
    assert identity and all(c["status"] == "pass" for c in identity), [c for c in identity if c["status"] != "pass"]


def test_seed_metadata_and_provenance():
    result = parse_file(SEED)
    assert result["issuer"] == "鄂托克前旗" and result["year"] == 2022
    assert result["jurisdiction"]["code"] == "150623"
    assert result["issuer_kind"] == "government"
    assert result["deadline"] == "2023-03-31"
    assert result["cell_status"]["t2_license_decisions"] == "ok"
    assert result["provenance"]["t2_license_decisions"]["where"].startswith("line ")
    assert result["cell_status"]["t3_other_total__total"] == "derived"
