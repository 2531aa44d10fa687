"""Populate a fresh MLflow tracking server for the collector test, with the real mlflow client.

Two runs of experiment `fraud`: one with git tags, params, metrics and a logged dataset input (training
context); one without any git commit tag. Each gets a registered version of model `fraud-scorer`; version 1
gets the alias `champion`. Prints a JSON summary on stdout.
"""
import json
import os
import sys

import mlflow
import pandas as pd
from mlflow import MlflowClient

mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
client = MlflowClient()
exp = mlflow.set_experiment("fraud")

df = pd.DataFrame({"amount": [10.0, 25.5, 3.2, 99.0], "is_fraud": [0, 0, 0, 1]})
dataset = mlflow.data.from_pandas(df, source="/data/transactions.csv", name="transactions")

with mlflow.start_run(run_name="train-with-git") as good:
    mlflow.log_params({"learning_rate": 0.05, "max_depth": 8})
    mlflow.log_metric("auc", 0.91)
    mlflow.log_metric("auc", 0.934)
    mlflow.log_input(dataset, context="training")
    mlflow.set_tags({
        "mlflow.source.git.commit": "4914054631a2f9de0530a251487c784286063a12",
        "mlflow.source.git.repoURL": "https://git.kestrel-labs.example/ml/fraud-model",
        "mlflow.source.git.branch": "main",
        "mlflow.source.git.dirty": "false",
        "mlflow.source.name": "src/train.py",
    })

with mlflow.start_run(run_name="notebook-no-git") as bad:
    mlflow.log_params({"learning_rate": 0.2, "max_depth": 4})
    mlflow.log_metric("auc", 0.88)
    mlflow.log_input(dataset, context="training")

client.create_registered_model("fraud-scorer", description="Transaction fraud scorer")
v1 = client.create_model_version("fraud-scorer", f"{good.info.artifact_uri}/model", run_id=good.info.run_id)
v2 = client.create_model_version("fraud-scorer", f"{bad.info.artifact_uri}/model", run_id=bad.info.run_id)
client.set_registered_model_alias("fraud-scorer", "champion", v1.version)
client.set_model_version_tag("fraud-scorer", v1.version, "approved_by", "ben")

with open(sys.argv[1], "w") as out:
    json.dump({
        "good_run": good.info.run_id,
        "bad_run": bad.info.run_id,
        "versions": [v1.version, v2.version],
        "mlflow": mlflow.__version__,
    }, out)
