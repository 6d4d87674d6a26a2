"""The DAG folder parses without import errors into exactly the five hoopcast DAGs."""

from __future__ import annotations

import ast
import os

from conftest import DAGS_FOLDER

EXPECTED = {
    "data_collection",
    "feature_engineering",
    "model_training",
    "prediction",
    "hoopcast_pipeline",
}


def test_dagbag_has_no_import_errors(dagbag) -> None:  # type: ignore[no-untyped-def]
    assert os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == EXPECTED


def test_dag_files_are_wiring_only() -> None:
    files = sorted(DAGS_FOLDER.glob("*.py"))
    assert {f.stem for f in files} == EXPECTED
    for path in files:
        module = ast.parse(path.read_text())
        assert not [n for n in module.body if isinstance(n, ast.FunctionDef | ast.ClassDef)], path


def test_no_airflow_package_shadowing() -> None:
    assert not (DAGS_FOLDER.parent / "__init__.py").exists()
    import airflow

    assert "site-packages" in (airflow.__file__ or "")


def test_dag_docs_come_from_the_dag_files(dagbag) -> None:  # type: ignore[no-untyped-def]
    for dag_id in EXPECTED:
        assert dag_id in (dagbag.dags[dag_id].doc_md or "")
