"""Write valid OpenLineage events with the real Python client (openlineage-python) for the differential test
in crates/collect/tests/openlineage.rs.

Usage: python write_events.py OUT_DIR
Writes OUT_DIR/events.jsonl (one event per line, as the file transport does) and OUT_DIR/batch.json (an
array, as a batch request body). Every event is built from the client's own classes and serialised with
`Serde.to_json`, so what Assay accepts is checked against what the official client emits.
"""

import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from openlineage.client.event_v2 import (
    DatasetEvent,
    InputDataset,
    Job,
    JobEvent,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
    StaticDataset,
)
from openlineage.client.facet_v2 import (
    data_quality_metrics_input_dataset as dq,
    dataset_version_dataset,
    documentation_job,
    error_message_run,
    job_type_job,
    nominal_time_run,
    output_statistics_output_dataset as out_stats,
    ownership_job,
    parent_run,
    processing_engine_run,
    schema_dataset,
    source_code_location_job,
    sql_job,
    symlinks_dataset,
    tags_run,
)
from openlineage.client.serde import Serde
from openlineage.client.uuid import generate_new_uuid

PRODUCER = "https://git.example.com/data/etl/producer"
T0 = datetime(2025, 3, 1, 8, 0, 0, 123456, tzinfo=timezone.utc)
CEST = timezone(timedelta(hours=2))


def at(minutes, tz=timezone.utc):
    return (T0 + timedelta(minutes=minutes)).astimezone(tz).isoformat()


def source(commit, **extra):
    return source_code_location_job.SourceCodeLocationJobFacet(
        type="git",
        url=f"https://git.example.com/data/etl/blob/{commit}/dags/train.py",
        **extra,
    )


def version(v):
    return dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=v)


def schema():
    f = schema_dataset.SchemaDatasetFacetFields
    return schema_dataset.SchemaDatasetFacet(
        fields=[
            f(name="id", type="BIGINT", description="row id"),
            f(name="amount", type="DECIMAL(10,2)"),
            f(
                name="merchant",
                type="STRUCT",
                fields=[f(name="name", type="VARCHAR"), f(name="mcc", type="INT")],
            ),
        ]
    )


def job_type(kind="TASK"):
    return job_type_job.JobTypeJobFacet(processingType="BATCH", integration="AIRFLOW", jobType=kind)


def events():
    out = []
    parent_id = str(generate_new_uuid(T0))
    # A DAG run with START/COMPLETE, and its task runs with every run state.
    dag_job = Job(namespace="kestrel.etl", name="daily_features", facets={"jobType": job_type("DAG")})
    out.append(
        RunEvent(
            eventType=RunState.START,
            eventTime=at(0),
            producer=PRODUCER,
            run=Run(
                runId=parent_id,
                facets={
                    "nominalTime": nominal_time_run.NominalTimeRunFacet(
                        nominalStartTime=at(0), nominalEndTime=at(60 * 24)
                    ),
                    "processing_engine": processing_engine_run.ProcessingEngineRunFacet(
                        version="2.10.0", name="Airflow"
                    ),
                },
            ),
            job=dag_job,
        )
    )
    states = [RunState.START, RunState.RUNNING, RunState.COMPLETE, RunState.OTHER, RunState.ABORT, RunState.FAIL]
    for i, state in enumerate(states):
        run_id = str(generate_new_uuid(T0 + timedelta(minutes=i + 1)))
        run_facets = {
            "parent": parent_run.ParentRunFacet(
                run=parent_run.Run(runId=parent_id),
                job=parent_run.Job(namespace="kestrel.etl", name="daily_features"),
                root=parent_run.Root(
                    run=parent_run.RootRun(runId=parent_id),
                    job=parent_run.RootJob(namespace="kestrel.etl", name="daily_features"),
                ),
            ),
            "tags": tags_run.TagsRunFacet(tags=[tags_run.TagsRunFacetFields(key="env", value="prod")]),
        }
        if state == RunState.FAIL:
            run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
                message="relation \"ledger.tx\" does not exist",
                programmingLanguage="PYTHON",
                stackTrace="Traceback (most recent call last): ...",
            )
        job_facets = {
            "jobType": job_type(),
            "sourceCodeLocation": source(
                f"{i:040x}",
                repoUrl="https://git.example.com/data/etl.git",
                path="dags/train.py",
                version=f"{i:040x}",
                branch="main",
                tag=f"v1.{i}.0",
                pullRequestNumber=str(40 + i),
            ),
            "sql": sql_job.SQLJobFacet(query="SELECT * FROM ledger.tx", dialect="postgres"),
            "ownership": ownership_job.OwnershipJobFacet(
                owners=[ownership_job.Owner(name="team:data-platform", type="MAINTAINER")]
            ),
        }
        inputs = [
            InputDataset(
                namespace="postgres://ledger-db:5432",
                name="ledger.public.tx",
                facets={"schema": schema(), "version": version(f"tx-{i}")},
                inputFacets={
                    "dataQualityMetrics": dq.DataQualityMetricsInputDatasetFacet(
                        rowCount=1000 + i,
                        bytes=65536,
                        columnMetrics={"amount": dq.ColumnMetrics(nullCount=0, min=0.5, max=990.0)},
                    )
                },
            )
        ]
        outputs = [
            OutputDataset(
                namespace="s3://kestrel-features",
                name=f"features/day={i}",
                facets={
                    "version": version(f"9e107d9d372bb6826bd81d3542a419d{i}"),
                    "symlinks": symlinks_dataset.SymlinksDatasetFacet(
                        identifiers=[
                            symlinks_dataset.Identifier(namespace="hive://m", name=f"features_{i}", type="TABLE")
                        ]
                    ),
                },
                outputFacets={
                    "outputStatistics": out_stats.OutputStatisticsOutputDatasetFacet(rowCount=999, size=4096)
                },
            )
        ]
        out.append(
            RunEvent(
                eventType=state,
                eventTime=at(i + 1, CEST if i % 2 else timezone.utc),
                producer=PRODUCER,
                run=Run(runId=run_id, facets=run_facets),
                job=Job(namespace="kestrel.etl", name=f"daily_features.task_{i}", facets=job_facets),
                inputs=inputs,
                outputs=outputs,
            )
        )
    # A run event without eventType (optional in 2-0-2) and without facets, with the client's default producer.
    out.append(
        RunEvent(
            eventTime=at(30),
            run=Run(runId=str(generate_new_uuid())),
            job=Job(namespace="kestrel.adhoc", name="notebook"),
        )
    )
    # A job facet deleted, a facet with additional properties.
    out.append(
        RunEvent(
            eventType=RunState.COMPLETE,
            eventTime=at(31),
            producer=PRODUCER,
            run=Run(runId=str(generate_new_uuid())),
            job=Job(
                namespace="kestrel.etl",
                name="cleanup",
                facets={
                    "documentation": documentation_job.DocumentationJobFacet(description="", deleted=True),
                    "jobType": job_type("COMMAND").with_additional_properties(team="data-platform"),
                },
            ),
        )
    )
    # Job events (design-time lineage) and dataset events (static metadata).
    out.append(
        JobEvent(
            eventTime=at(40),
            producer=PRODUCER,
            job=Job(
                namespace="kestrel.etl",
                name="daily_features.task_0",
                facets={"sourceCodeLocation": source("a" * 40, version="a" * 40), "jobType": job_type()},
            ),
            inputs=[InputDataset(namespace="postgres://ledger-db:5432", name="ledger.public.tx")],
            outputs=[
                OutputDataset(namespace="s3://kestrel-features", name="features", facets={"schema": schema()})
            ],
        )
    )
    def dataset_event(minutes, name, facets, tz=timezone.utc):
        return DatasetEvent(
            eventTime=at(minutes, tz),
            producer=PRODUCER,
            dataset=StaticDataset(namespace="s3://kestrel-features", name=name, facets=facets),
        )

    out.append(dataset_event(41, "features", {"schema": schema(), "version": version("v42")}))
    deleted = dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion="", deleted=True)
    out.append(dataset_event(42, "features/old", {"version": deleted}, CEST))
    return out


def main():
    out_dir = Path(sys.argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    evs = [Serde.to_json(e) for e in events()]
    (out_dir / "events.jsonl").write_text("".join(e + "\n" for e in evs))
    (out_dir / "batch.json").write_text("[" + ",".join(evs) + "]")
    print(json.dumps({"events": len(evs)}))


if __name__ == "__main__":
    main()
