"""The seed-era input pipeline, in the style of the TF 1.x "reading data" tutorial: the
digits written to TFRecord files as tf.train.Example protos, then read back by a
filename queue (string_input_producer with epochs), a TFRecordReader, parse_single_example
and decode_raw, batched by shuffle_batch, and trained on until the queue runs dry under a
Coordinator. Prints `Done training for N epochs, M steps.` and `accuracy VALUE`."""

import os
import sys

import numpy as np

import psflow as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import digits_data  # noqa: E402

data_dir = sys.argv[1] if len(sys.argv) > 1 else "/tmp/queue_input"
NUM_EPOCHS = 8
BATCH = 50


def _int64_feature(value):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))


def _bytes_feature(value):
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def convert_to(images, labels, name, shards=2):
    """Writes the images (raw float32 bytes) and labels as Examples over `shards` files."""
    filenames = []
    for shard in range(shards):
        filename = os.path.join(data_dir, "%s-%d.tfrecords" % (name, shard))
        with tf.python_io.TFRecordWriter(filename) as writer:
            for index in range(shard, len(images), shards):
                example = tf.train.Example(
                    features=tf.train.Features(
                        feature={
                            "label": _int64_feature(int(labels[index])),
                            "image_raw": _bytes_feature(images[index].tobytes()),
                        }
                    )
                )
                writer.write(example.SerializeToString())
        filenames.append(filename)
    return filenames


def read_and_decode(filename_queue):
    reader = tf.TFRecordReader()
    _, serialized_example = reader.read(filename_queue)
    features = tf.parse_single_example(
        serialized_example,
        features={
            "image_raw": tf.FixedLenFeature([], tf.string),
            "label": tf.FixedLenFeature([], tf.int64),
        },
    )
    image = tf.decode_raw(features["image_raw"], tf.float32)
    image.set_shape([64])
    label = tf.cast(features["label"], tf.int32)
    return image, label


def inputs(filenames, batch_size, num_epochs):
    with tf.name_scope("input"):
        filename_queue = tf.train.string_input_producer(filenames, num_epochs=num_epochs)
        image, label = read_and_decode(filename_queue)
        return tf.train.shuffle_batch(
            [image, label],
            batch_size=batch_size,
            num_threads=2,
            capacity=1000 + 3 * batch_size,
            min_after_dequeue=1000,
            allow_smaller_final_batch=True,
        )


def main():
    tf.gfile.MakeDirs(data_dir)
    (train_x, train_y), (test_x, test_y) = digits_data.load()
    filenames = convert_to(train_x, train_y, "train")
    with tf.Graph().as_default():
        images, labels = inputs(filenames, BATCH, NUM_EPOCHS)
        w = tf.Variable(tf.zeros([64, 10]))
        b = tf.Variable(tf.zeros([10]))
        logits = tf.matmul(images, w) + b
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        )
        train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        test_images = tf.constant(test_x)
        predictions = tf.argmax(tf.matmul(test_images, w) + b, 1)
        init_op = tf.group(tf.global_variables_initializer(), tf.local_variables_initializer())
        sess = tf.Session()
        sess.run(init_op)
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess=sess, coord=coord)
        step = 0
        try:
            while not coord.should_stop():
                sess.run(train_op)
                step += 1
        except tf.errors.OutOfRangeError:
            print("Done training for %d epochs, %d steps." % (NUM_EPOCHS, step))
        finally:
            coord.request_stop()
        coord.join(threads)
        accuracy = np.mean(sess.run(predictions) == test_y)
        sess.close()
    print("accuracy %.4f" % accuracy)


if __name__ == "__main__":
    main()
