"""TFRecord files and tf.train.Example parsing against TensorFlow's own: files TF 2.x's
tf.io.TFRecordWriter wrote (plain, ZLIB, GZIP; recorded below as bytes, no TensorFlow at
test time) read record for record, psflow's writer giving the same bytes, corrupt records a
DataLossError; parse_example/parse_single_example equal to TF's outputs on the same
records, with TF's error messages; files and bytes ops (read_file, write_file,
matching_files, decode_raw, base64) against what TF returned."""

import gzip
import zlib

import numpy as np
import pytest

import psflow as tf

# Written by tf.io.TFRecordWriter (tensorflow-cpu 2.x): 3 Examples, an empty record, b"plain bytes".
TF_PLAIN = bytes.fromhex(
    "300000000000000095f5d05f0a2e0a090a0369647312021a000a0e0a046e616d6512060a040a026e300a110a"
    "0178120c120a0a08000000000000003f55428c3f33000000000000000ca720560a310a0c0a0369647312051a"
    "030a010a0a0e0a046e616d6512060a040a026e310a110a0178120c120a0a080000803f0000c03f8fbb7ca934"
    "000000000000005e33175c0a320a0d0a0369647312061a040a020a0b0a0e0a046e616d6512060a040a026e32"
    "0a110a0178120c120a0a0800000040000020405a1864e5000000000000000029039807d8ea82a20b00000000"
    "0000008615f504706c61696e2062797465737c78b0ac"
)
TF_Z = bytes.fromhex(
    "789c33608080a95f2fc473e97171723167a6140b31493170f171b1e425e6a60ab171b17031e5197009723156"
    "08f10871717140b5d8873af5d81b43393ccb15c2b80cb97820fa59a598b918b9d08c304431a2c19e81e1807d"
    "ffee9a95265023e28cc563b88cb8782146b04901f57071a3996184ea0c0706060587288994a7502318349967"
    "b0df78d5b4881bca6f13fdca5290939899a7905459925a5c53b1610d0064e229cc"
)
TF_G = bytes.fromhex(
    "1f8b080000000000000333608080a95f2fc473e97171723167a6140b31493170f171b1e425e6a60ab171b170"
    "31e519700972315608f10871717140b5d8873af5d81b43393ccb15c2b80cb97820fa59a598b918b9d08c3044"
    "31a2c19e81e1807dffee9a95265023e28cc563b88cb8782146b04901f57071a3996184ea0c07060605872889"
    "94a7502318349967b0df78d5b4881bca6f13fdca5290939899a7905459925a5c53b1610d00dc1d358bf20000"
    "00"
)


@pytest.fixture
def records(tmp_path):
    path = tmp_path / "tf.tfrecord"
    path.write_bytes(TF_PLAIN)
    return list(tf.io.tf_record_iterator(str(path)))


def test_records_of_tensorflows_files_plain_zlib_and_gzip(tmp_path, records):
    assert len(records) == 5 and records[3] == b"" and records[4] == b"plain bytes"
    for data, kind in ((TF_Z, "ZLIB"), (TF_G, "GZIP")):
        path = tmp_path / f"{kind}.tfrecord"
        path.write_bytes(data)
        options = tf.io.TFRecordOptions(kind)
        assert list(tf.python_io.tf_record_iterator(str(path), options)) == records
        ds = tf.data.TFRecordDataset([str(path)], compression_type=kind)
        nxt = ds.make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            assert [sess.run(nxt) for _ in range(5)] == records
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(nxt)


def test_the_writer_writes_tensorflows_bytes(tmp_path, records):
    path = tmp_path / "out.tfrecord"
    with tf.io.TFRecordWriter(str(path)) as writer:
        for r in records:
            writer.write(r)
    assert path.read_bytes() == TF_PLAIN
    for kind, decompress in (("GZIP", gzip.decompress), ("ZLIB", zlib.decompress)):
        packed = tmp_path / f"out.{kind}"
        options = tf.python_io.TFRecordOptions(getattr(tf.python_io.TFRecordCompressionType, kind))
        with tf.python_io.TFRecordWriter(str(packed), options) as writer:
            for r in records:
                writer.write(r)
        assert decompress(packed.read_bytes()) == TF_PLAIN


def test_a_corrupt_or_truncated_record_is_a_data_loss_error(tmp_path):
    for name, data in (("flipped", TF_PLAIN[:20] + bytes([TF_PLAIN[20] ^ 1]) + TF_PLAIN[21:]),
                       ("cut", TF_PLAIN[:-3])):  # fmt: skip
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(tf.errors.DataLossError, match=name):
            list(tf.io.tf_record_iterator(str(path)))
        nxt = tf.data.TFRecordDataset(str(path)).make_one_shot_iterator().get_next()
        with tf.Session() as sess, pytest.raises(tf.errors.DataLossError):
            for _ in range(6):
                sess.run(nxt)
    with tf.Session() as sess, pytest.raises(tf.errors.NotFoundError, match="nowhere"):
        sess.run(tf.data.TFRecordDataset("/nowhere.tfrecord").make_one_shot_iterator().get_next())


def test_parse_example_equals_tensorflows(records):
    features = {
        "x": tf.io.FixedLenFeature([2], tf.float32),
        "ids": tf.io.VarLenFeature(tf.int64),
        "name": tf.io.FixedLenFeature([], tf.string),
        "missing": tf.io.FixedLenFeature([2], tf.int64, default_value=[7, 8]),
    }
    parsed = tf.io.parse_example(tf.constant(records[:3]), features)
    one = tf.parse_single_example(
        records[2], {"ids": tf.VarLenFeature(tf.int64), "x": tf.FixedLenFeature([1, 2], tf.float32)}
    )
    assert parsed["x"].shape.as_list() == [3, 2] and one["x"].shape.as_list() == [1, 2]
    with tf.Session() as sess:
        got, single = sess.run([parsed, one])
    # TensorFlow's outputs on the same records:
    np.testing.assert_array_equal(got["x"], np.array([[0, 0.5], [1, 1.5], [2, 2.5]], np.float32))
    assert got["x"].dtype == np.float32
    np.testing.assert_array_equal(got["ids"].indices, [[1, 0], [2, 0], [2, 1]])
    np.testing.assert_array_equal(got["ids"].values, [10, 10, 11])
    np.testing.assert_array_equal(got["ids"].dense_shape, [3, 2])
    assert got["name"].tolist() == [b"n0", b"n1", b"n2"]
    np.testing.assert_array_equal(got["missing"], [[7, 8]] * 3)
    np.testing.assert_array_equal(single["ids"].indices, [[0], [1]])
    np.testing.assert_array_equal(single["ids"].values, [10, 11])
    np.testing.assert_array_equal(single["ids"].dense_shape, [2])
    np.testing.assert_array_equal(single["x"], [[2.0, 2.5]])


@pytest.mark.parametrize(
    "features, message",
    [
        ({"ids": tf.io.FixedLenFeature([1], tf.float32)},
         "Name: <unknown>, Key: ids, Index: 0.  Data types don't match. Data type: int64 but "
         "expected type: float"),
        ({"nope": tf.io.FixedLenFeature([1], tf.float32)},
         "Name: <unknown>, Feature: nope (data type: float) is required but could not be found."),
        ({"x": tf.io.FixedLenFeature([3], tf.float32)},
         "Name: <unknown>, Key: x, Index: 0.  Number of float values != expected.  Values size: "
         "2 but output shape: [3]"),
    ],
    ids=["type", "missing", "count"],
)  # fmt: skip
def test_parse_errors_are_tensorflows(records, features, message):
    parsed = tf.io.parse_example(tf.constant(records[:3]), features)
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as info:
        sess.run(parsed)
    assert message in str(info.value)


def test_examples_built_here_parse_and_read_back():
    example = tf.train.Example(
        features=tf.train.Features(
            feature={
                "f": tf.train.Feature(float_list=tf.train.FloatList(value=[1.5])),
                "s": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"a", b"b"])),
            }
        )
    )
    again = tf.train.Example.FromString(example.SerializeToString())
    assert again == example and list(again.features.feature["s"].bytes_list.value) == [b"a", b"b"]
    parsed = tf.parse_single_example(example.SerializeToString(), {
        "f": tf.FixedLenFeature([], tf.float32), "s": tf.VarLenFeature(tf.string)})  # fmt: skip
    with tf.Session() as sess:
        got = sess.run(parsed)
    assert got["f"] == 1.5 and got["s"].values.tolist() == [b"a", b"b"]


def test_files_and_bytes_ops_equal_tensorflows(tmp_path):
    target = str(tmp_path / "w.txt")
    with tf.Session() as sess:
        sess.run(tf.io.write_file(target, "hello"))
        assert sess.run(tf.read_file(target)) == b"hello"
        (tmp_path / "v.txt").write_bytes(b"")
        assert sess.run(tf.matching_files(str(tmp_path / "*.txt"))).tolist() == [
            str(tmp_path / "v.txt").encode(), target.encode()
        ]  # fmt: skip
        with pytest.raises(tf.errors.NotFoundError):
            sess.run(tf.read_file(str(tmp_path / "absent")))
        # TensorFlow's outputs:
        assert sess.run(tf.io.encode_base64([b"hi?>", b"", b"\xff\xfe"])).tolist() == [
            b"aGk_Pg", b"", b"__4"]  # fmt: skip
        assert sess.run(tf.encode_base64([b"hi?>"], pad=True)).tolist() == [b"aGk_Pg=="]
        assert sess.run(tf.decode_base64([b"aGk_Pg", b"__4"])).tolist() == [b"hi?>", b"\xff\xfe"]
        raw = sess.run(tf.decode_raw([b"\x01\x00\x02\x01", b"\xff\xff\x00\x80"], tf.int16))
        assert raw.dtype == np.int16 and raw.tolist() == [[1, 258], [-1, -32768]]
        big = sess.run(tf.io.decode_raw([b"\x01\x00\x02\x01"], tf.int16, little_endian=False))
        assert big.tolist() == [[256, 513]]
        with pytest.raises(tf.errors.InvalidArgumentError, match="same size"):
            sess.run(tf.decode_raw([b"\x01", b"\x01\x02"], tf.uint8))


def test_decode_csv_equals_tensorflows():
    records = tf.constant(["1,2.5,a", ',,"b,c"', '3,4,"say ""hi"""'])
    cols = tf.decode_csv(records, [[0], [1.0], ["x"]])
    picked = tf.io.decode_csv(
        tf.constant([["7;8;9", "NA;1;2"]]), [[-1], [5.0]], field_delim=";", na_value="NA",
        select_cols=[0, 2],
    )  # fmt: skip
    raw = tf.decode_csv(['1,"a'], [[0], [""]], use_quote_delim=False)
    with tf.Session() as sess:
        ints, floats, strings = sess.run(cols)
        first, third = sess.run(picked)
        assert sess.run(raw)[1].tolist() == [b'"a']
        # TensorFlow's outputs and messages:
        assert ints.dtype == np.int32 and ints.tolist() == [1, 0, 3]
        assert floats.dtype == np.float32 and floats.tolist() == [2.5, 1.0, 4.0]
        assert strings.tolist() == [b"a", b"b,c", b'say "hi"']
        assert first.tolist() == [[7, -1]] and third.tolist() == [[9.0, 2.0]]
        for record, defaults, message in (
            (",1", [tf.constant([], tf.int32), [0]],
             "Field 0 is required but missing in record 0!"),
            ("1,2,3", [[0], [0]], "Expect 2 fields but have 3 in record 0"),
            ("x,1", [[0], [0]], "Field 0 in record 0 is not a valid int32: x"),
            ("1,y", [[0], [0.0]], "Field 1 in record 0 is not a valid float: y"),
        ):  # fmt: skip
            with pytest.raises(tf.errors.InvalidArgumentError) as info:
                sess.run(tf.decode_csv([record], defaults))
            assert message in str(info.value)
