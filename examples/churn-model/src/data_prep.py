"""Feature preparation for the churn model."""

import pickle

import numpy as np
import pandas as pd
import yaml
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


def load_config(path):
    with open(path) as fh:
        return yaml.load(fh, Loader=yaml.Loader)


def load_cached_features(path):
    with open(path, "rb") as fh:
        return pickle.load(fh)


def prepare(df: pd.DataFrame):
    df["tenure_months"][df["tenure_months"] < 0] = 0
    df = df[df["monthly_charges"] != np.nan]
    features = df.drop(columns=["churned"]).to_numpy()
    labels = df["churned"].to_numpy()
    scaler = StandardScaler()
    scaled = scaler.fit_transform(features)
    X_train, X_test, y_train, y_test = train_test_split(scaled, labels, test_size=0.2)
    return X_train, X_test, y_train, y_test
