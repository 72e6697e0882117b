"""Kaggle's Titanic passenger list, set up as in Jay Alammar's "A Visual And Interactive Look at
Basic Neural Network Math": features Age and Sex, label Survived."""
import csv
import math
import numbers
from pathlib import Path
from typing import NamedTuple, Optional

import numpy as np

from tinygrad_like.data.mnist import search, search_places

ENV_VAR = "TINYGRAD_LIKE_TITANIC"  # names the train.csv file itself
DOWNLOAD_HINT = ("Kaggle's train.csv comes from https://www.kaggle.com/c/titanic/data "
                 "(891 rows, md5 2309cc5f04782ed9bb6016d9f4e381cf)")
MISSING_AGE_POLICIES = ("drop", "mean", "median", "zero")
_SEX_CODES = {"male": 0.0, "female": 1.0}  # the post's encoding
_REQUIRED_COLUMNS = ("Survived", "Sex", "Age")


class Titanic(NamedTuple):
    """Titanic passengers: `features` (n, 2) float64 with columns Age (years, unscaled) and Sex
    (male 0, female 1), and `survived` (n, 1) float64 (1 survived, 0 did not), rows in file order.
    Unpacks as `features, survived = load_titanic(path)`."""
    features: np.ndarray
    survived: np.ndarray


def titanic_places():
    """Where `find_titanic_csv` looks when no path is given, in order: the places of MNIST's
    search (`tinygrad_like.data.mnist.search_places`) with titanic/train.csv for mnist."""
    return search_places(ENV_VAR, "titanic/train.csv")


def find_titanic_csv(csv_path=None) -> Path:
    """Kaggle's train.csv: `csv_path` when given, else the first file of `titanic_places()`.

    Raises FileNotFoundError naming the given path, or every place searched and what was there.
    """
    if csv_path is not None:
        trouble = _csv_trouble(Path(csv_path))
        if trouble is not None:
            raise FileNotFoundError(f"{csv_path}: {trouble}; expected Kaggle's Titanic train.csv (columns "
                                    f"PassengerId, Survived, Pclass, Name, Sex, Age, ...). {DOWNLOAD_HINT}.")
        return Path(csv_path)
    found, report = search(titanic_places(), _csv_trouble)
    if found is None:
        raise FileNotFoundError("Titanic train.csv not found. Searched, in order:\n" + "\n".join(report)
                                + f"\nPut it in one of them or set {ENV_VAR} to its path. {DOWNLOAD_HINT}.")
    return found


def default_titanic_csv() -> Optional[Path]:
    """The first file of `titanic_places()` that exists, or None."""
    found, _ = search(titanic_places(), _csv_trouble)
    return found


def _csv_trouble(path):
    if path.is_file():
        return None
    return "a directory, not the train.csv file in it" if path.is_dir() else "no such file"


def load_titanic(csv_path=None, missing_age="median") -> Titanic:
    """Age and Sex as features and Survived as label, from Kaggle's train.csv (default: the first
    of `titanic_places()`; see `find_titanic_csv`).

    The post uses the raw age in years (no scaling), Sex coded male 0 / female 1, and keeps all
    891 rows ("891 rows total"); it does not say what it does with the 177 missing ages.
    `missing_age` makes that choice explicit:

    - "median" (default): the median of the file's known ages (28.0 in train.csv); keeps every row
    - "mean": their mean (29.70 in train.csv); keeps every row
    - "zero": 0.0; keeps every row
    - "drop": leaves out the passengers without an age (714 of 891 rows remain)
    - a number: that age, e.g. a statistic of your own training split, or float("nan") to keep
      the gaps visible

    With the post's trained weights, any fill below about 34.9 years gives the same predictions
    (a missing-age woman is predicted to survive); the post's 73.20% equals 213/291 on rows
    600-890, which those weights reach only when missing-age passengers are predicted not to
    survive (e.g. missing_age=float("nan")); "median" gives 215/291 = 73.88% there.
    """
    path = find_titanic_csv(csv_path)
    _check_policy(missing_age)
    ages, sexes, survived = _read_columns(path)
    known = ~np.isnan(ages)
    if isinstance(missing_age, str) and missing_age == "drop":
        ages, sexes, survived = ages[known], sexes[known], survived[known]
    else:
        ages = np.where(known, ages, _fill_value(missing_age, ages[known], path))
    return Titanic(np.column_stack([ages, sexes]), survived.reshape(-1, 1))


def _check_policy(missing_age):
    is_number = isinstance(missing_age, numbers.Real) and not isinstance(missing_age, bool)
    if not (is_number or missing_age in MISSING_AGE_POLICIES):
        raise ValueError(f"missing_age={missing_age!r}: expected one of {', '.join(MISSING_AGE_POLICIES)} "
                         "or a number")


def _fill_value(missing_age, known_ages, path):
    if not isinstance(missing_age, str):
        return float(missing_age)
    if missing_age == "zero":
        return 0.0
    if known_ages.size == 0:
        raise ValueError(f"{path}: no known ages, so missing_age={missing_age!r} has nothing to average")
    return float(np.median(known_ages) if missing_age == "median" else np.mean(known_ages))


def _read_columns(path):
    """Age (nan where missing), Sex code and Survived as float64 arrays, one entry per passenger."""
    ages, sexes, survived = [], [], []
    with open(path, newline="", encoding="utf-8-sig") as file:  # utf-8-sig: tolerate a spreadsheet's BOM
        reader = csv.DictReader(file)
        missing = [name for name in _REQUIRED_COLUMNS if name not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}; found {reader.fieldnames}. "
                             "Is this Kaggle's Titanic train.csv? (test.csv has no Survived column)")
        for row in reader:
            where = f"{path}, line {reader.line_num}"
            ages.append(_age(row["Age"], where))
            if row["Sex"] not in _SEX_CODES:
                raise ValueError(f"{where}: Sex {row['Sex']!r}, expected 'male' or 'female'")
            sexes.append(_SEX_CODES[row["Sex"]])
            if row["Survived"] not in ("0", "1"):
                raise ValueError(f"{where}: Survived {row['Survived']!r}, expected 0 or 1")
            survived.append(float(row["Survived"]))
    return np.array(ages), np.array(sexes), np.array(survived)


def _age(text, where):
    if text.strip() == "":
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{where}: Age {text!r} is not a number (leave it empty when unknown)") from None
