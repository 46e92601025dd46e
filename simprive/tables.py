"""Real tables as private inputs: one column of a file, or of a public data set, read once.

:func:`load_column` reads a column from a file pandas reads (CSV, TSV, parquet, feather,
JSON) or from a data set that ships inside a package (``DATASETS``: no download at run
time), checks every cell, and keeps it for the rest of the process, so a sweep over many
configurations reads the file once.  :class:`Empirical` is the law of one row drawn
uniformly from such a column, with the parts of ``scipy.stats``' frozen-law interface that
the closed forms use, computed as exact finite sums over the rows.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import importlib
import io
from pathlib import Path

import numpy as np
import pandas as pd

from simprive.validation import ConfigError

__all__ = ["DATASETS", "READERS", "Empirical", "fingerprint", "load_column", "numbers"]

# name: (module that ships it, what it holds); each module's load_pandas() returns its table
DATASETS = {
    "anes96": ("statsmodels.datasets.anes96", "American National Election Survey 1996: 944 voters, their "
                                              "expected vote (0 Clinton, 1 Dole), income bracket, age, …"),
    "engel": ("statsmodels.datasets.engel", "Engel (1857): 235 Belgian working-class households' annual income "
                                            "and food expenditure"),
    "fair": ("statsmodels.datasets.fair", "Fair (1978): 6,366 women's answers on marriage and the time spent in "
                                          "extramarital affairs (heavy-tailed, mostly 0)"),
}

HEADER_BYTES = 1 << 20  # a first line longer than this is no table's header (3 million columns hang pandas)
SNIFF_BYTES = 1 << 16  # the first lines, enough to tell a delimiter


def read_text_table(file: str, default: str = ",") -> pd.DataFrame:
    """A CSV or TSV file, read with the delimiter its first lines show (``default`` when they
    show none, e.g. a single column); refused when its rows have more fields than its header
    (pandas would silently take the first as row names: ``x`` of "x\\n1,5" would be 5)."""
    head = _first_lines(file)
    sample = head[:SNIFF_BYTES]
    try:
        delimiter = csv.Sniffer().sniff(sample[: sample.rfind("\n") + 1] or sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = default
    try:
        rows = (row for row in csv.reader(io.StringIO(head), delimiter=delimiter) if row)
        header, first = next(rows, []), next(rows, [])
    except csv.Error:  # not text pandas reads either: its error says so
        header, first = [], []
    if len(first) > len(header):
        raise ConfigError("scenario.path", file, f"row 1 has {len(first)} {delimiter!r}-separated fields, its header "
                                                 f"{len(header)} (a decimal comma, or another delimiter?): give one "
                                                 "field per column")
    return pd.read_csv(file, sep=delimiter)


def _first_lines(file: str) -> str:
    """The whole lines in a file's first HEADER_BYTES, refused when the first line is longer."""
    with open(file, "rb") as f:
        head = f.read(HEADER_BYTES)
    if len(head) == HEADER_BYTES:
        end = max(head.rfind(b"\n"), head.rfind(b"\r"))
        if end < 0:
            raise ConfigError("scenario.path", file, f"its first line is longer than {HEADER_BYTES >> 20} MB, too long "
                                                     "for a table's header: is it a table, one line per row?")
        head = head[: end + 1]
    return head.decode("utf-8-sig", errors="replace")


# JSON as written (dtype=False): a true among numbers stays true, not 1
READERS = {".csv": read_text_table, ".tsv": functools.partial(read_text_table, default="\t"),
           ".parquet": pd.read_parquet, ".feather": pd.read_feather,
           ".json": functools.partial(pd.read_json, dtype=False)}


def load_column(path: str | None, dataset: str | None, column: str) -> pd.Series:
    """The column ``column`` of the file ``path`` or of the data set ``dataset`` (exactly one
    of them), every cell present; a one-line :class:`ConfigError` naming the key otherwise."""
    if (path is None) == (dataset is None):
        raise ConfigError("scenario.path", path, "give exactly one of scenario.path (a file) and scenario.dataset "
                                                 f"(one of {', '.join(DATASETS)})")
    if not isinstance(column, str) or not column:
        raise ConfigError("scenario.column", column, "name the column that holds each party's input")
    if dataset is not None:
        return _from_dataset(str(dataset), column)
    file = Path(str(path)).expanduser().resolve()
    if not file.is_file():
        raise ConfigError("scenario.path", path, "no such file")
    stat = file.stat()
    return _from_file(str(file), stat.st_mtime_ns, stat.st_size, column)  # a changed file is read again


@functools.lru_cache(maxsize=16)
def _from_file(file: str, mtime_ns: int, size: int, column: str) -> pd.Series:
    reader = READERS.get(Path(file).suffix.lower())
    if reader is None:
        raise ConfigError("scenario.path", file, f"cannot read {Path(file).suffix or 'a file without a suffix'}: "
                                                 f"give one of {', '.join(READERS)}")
    try:
        table = reader(file)
    except ConfigError:
        raise
    except (ValueError, OSError, pd.errors.ParserError, ImportError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError("scenario.path", file, f"cannot be read as a {Path(file).suffix} table: {first}") from None
    return _checked(table, column, "scenario.path", file)


@functools.lru_cache(maxsize=16)
def _from_dataset(name: str, column: str) -> pd.Series:
    if name not in DATASETS:
        raise ConfigError("scenario.dataset", name, f"choose one of {', '.join(DATASETS)}")
    try:
        module = importlib.import_module(DATASETS[name][0])
    except ImportError:
        raise ConfigError("scenario.dataset", name, "the data sets ship with statsmodels, a dependency of simprive: "
                                                    "pip install statsmodels") \
            from None
    return _checked(module.load_pandas().data, column, "scenario.dataset", name)


def _checked(table: pd.DataFrame, column: str, key: str, source: str) -> pd.Series:
    if column not in table.columns:
        known = ", ".join(map(str, table.columns[:20])) + (", …" if len(table.columns) > 20 else "")
        raise ConfigError("scenario.column", column, f"not a column of {source}; its columns: {known or 'none'}")
    values = table[column].reset_index(drop=True)
    if values.empty:
        raise ConfigError(key, source, "the table has no rows")
    missing = values.isna().to_numpy()
    if missing.any():
        row = int(np.argmax(missing)) + 1
        raise ConfigError("scenario.column", column, f"row {row} of {source} has no value ({missing.sum()} rows in "
                                                     "all); simprive does not impute: drop or fill them first")
    return values


def numbers(values: pd.Series, column: str) -> np.ndarray:
    """The column as floats, or an error naming its first cell that is not a number.  A column
    whose type is not a number's (dates, durations, true/false) is refused by its type's name:
    pandas would turn it into numbers (nanoseconds since 1970, 0 and 1) without a word."""
    dtype = values.dtype
    text = pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
    real = pd.api.types.is_numeric_dtype(dtype) and not (pd.api.types.is_bool_dtype(dtype)
                                                         or pd.api.types.is_complex_dtype(dtype))
    if not (text or real):
        hint = ("for a yes/no question list its yes in scenario.yes_values" if dtype.kind not in "mM"
                else "give a column of numbers (e.g. a duration in seconds) instead")
        raise ConfigError("scenario.column", column, f"holds {dtype} values, not numbers: {hint}")
    converted = pd.to_numeric(values, errors="coerce")
    bad = converted.isna().to_numpy() | ~np.isfinite(converted.to_numpy(dtype=float, na_value=np.nan))
    if text:  # a mixed column (JSON's [1, true, 3]): its true/false cells too are not numbers
        bad |= values.map(lambda v: isinstance(v, (bool, np.bool_))).to_numpy(dtype=bool)
    if bad.any():
        row = int(np.argmax(bad))
        raise ConfigError("scenario.column", column, f"row {row + 1} holds {values.iloc[row]!r}, not a finite number; "
                                                     "for a yes/no question list its yes in scenario.yes_values")
    return converted.to_numpy(dtype=float)


def fingerprint(rows: np.ndarray) -> str:
    """A hash of a column's contents: results computed on other data are never reused."""
    return hashlib.sha256(np.ascontiguousarray(rows).tobytes()).hexdigest()[:16]


class Empirical:
    """The law of one row drawn uniformly from ``rows``: scipy.stats' frozen-law methods the
    closed forms use, as exact sums over the rows.  (``scipy.stats.rv_discrete`` takes
    such a law, but its ``expect`` walks every integer between the smallest and largest
    value, which a column of real numbers makes unbounded.)"""

    def __init__(self, rows: np.ndarray) -> None:
        self.rows = np.sort(np.asarray(rows, float))

    def mean(self) -> float:
        return float(self.rows.mean())

    def var(self) -> float:
        return float(self.rows.var())

    def std(self) -> float:
        return float(self.rows.std())

    def support(self) -> tuple[float, float]:
        return float(self.rows[0]), float(self.rows[-1])

    def cdf(self, x) -> float:
        return float(np.searchsorted(self.rows, x, side="right") / len(self.rows))

    def sf(self, x) -> float:
        return 1.0 - self.cdf(x)

    def expect(self, func=None, lb=None, ub=None) -> float:
        """E[func(X); lb ≤ X ≤ ub], as scipy's ``expect`` (not conditional on the bounds)."""
        lo = 0 if lb is None else np.searchsorted(self.rows, lb, side="left")
        hi = len(self.rows) if ub is None else np.searchsorted(self.rows, ub, side="right")
        inside = self.rows[lo:hi]
        return float(np.sum(inside if func is None else func(inside)) / len(self.rows))

    def rvs(self, size, random_state) -> np.ndarray:
        return self.rows[random_state.integers(0, len(self.rows), size=size)]
