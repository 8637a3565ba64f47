"""`tf.dtypes`: the DType objects, `as_dtype`, and the casts."""

from psflow import (  # noqa: F401
    DType,
    as_dtype,
    as_string,
    bool,
    cast,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    saturate_cast,
    string,
    uint8,
    uint16,
    uint32,
    uint64,
)
