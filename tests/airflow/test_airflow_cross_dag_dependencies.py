"""Assets wire producing tasks (outlets) to the DAGs scheduled on them."""

from __future__ import annotations

from hoopcast_airflow.catalog import CORE_DATA, FEATURES, PREDICTIONS, PRODUCTION_MODEL


def producers(dagbag, asset) -> set[str]:  # type: ignore[no-untyped-def]
    return {
        f"{dag.dag_id}.{task.task_id}"
        for dag in dagbag.dags.values()
        for task in dag.tasks
        if any(getattr(o, "uri", None) == asset.uri for o in task.outlets)
    }


def asset_uris(condition) -> set[str]:  # type: ignore[no-untyped-def]
    """URIs of every asset in an asset condition (AssetAll/AssetAny nest ``objects``)."""
    if hasattr(condition, "objects"):
        return set().union(*(asset_uris(o) for o in condition.objects))
    uri = getattr(condition, "uri", None)
    return {uri} if uri else set()


def consumers(dagbag, asset) -> set[str]:  # type: ignore[no-untyped-def]
    found = set()
    for dag in dagbag.dags.values():
        condition = getattr(dag.timetable, "asset_condition", None)
        if condition is None:
            continue
        uris = asset_uris(condition)
        if asset.uri in uris:
            found.add(dag.dag_id)
    return found


def test_collected_data_triggers_feature_engineering(dagbag) -> None:  # type: ignore[no-untyped-def]
    assert producers(dagbag, CORE_DATA) == {"data_collection.data_quality"}
    assert consumers(dagbag, CORE_DATA) == {"feature_engineering"}


def test_new_features_or_a_new_model_trigger_prediction(dagbag) -> None:  # type: ignore[no-untyped-def]
    assert producers(dagbag, FEATURES) == {"feature_engineering.feature_quality"}
    assert consumers(dagbag, FEATURES) == {"prediction"}
    assert producers(dagbag, PRODUCTION_MODEL) == {"model_training.register_model"}
    assert consumers(dagbag, PRODUCTION_MODEL) == {"prediction"}
    # either asset alone triggers a run (any of them, not all)
    condition = dagbag.dags["prediction"].timetable.asset_condition
    assert type(condition).__name__ == "AssetAny"


def test_predictions_are_published(dagbag) -> None:  # type: ignore[no-untyped-def]
    assert producers(dagbag, PREDICTIONS) == {"prediction.store_preds"}


def test_pipeline_emits_no_asset_events(dagbag) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.dags["hoopcast_pipeline"]
    assert all(not task.outlets for task in dag.tasks)
