"""A skip-gram word2vec model in the style of the TF 1.x basic word2vec tutorial: a
vocabulary built with collections.Counter, a batch generator sliding a window over the
corpus, embeddings looked up with embedding_lookup, the NCE loss, SGD, and cosine
similarities of normalized embeddings for a few validation words.

The corpus ships with the program: sentences drawn (with a fixed seed) from four topics of
eight words each, joined by common words, so words of one topic share their contexts.
Prints the nearest words of each validation word, then `same_topic FRACTION` (of the
validation words' 3 nearest neighbours that belong to the word's own topic)."""

import collections
import random

import numpy as np

import psflow as tf

TOPICS = [
    ["cat", "dog", "horse", "cow", "sheep", "goat", "pig", "mouse"],
    ["red", "blue", "green", "yellow", "purple", "orange", "pink", "brown"],
    ["one", "two", "three", "four", "five", "six", "seven", "eight"],
    ["paris", "london", "berlin", "madrid", "rome", "vienna", "prague", "lisbon"],
]
COMMON = ["the", "a", "and", "of", "with"]


def corpus(num_sentences=3000, seed=0):
    rng = random.Random(seed)
    words = []
    for _ in range(num_sentences):
        topic = rng.choice(TOPICS)
        for _ in range(6):
            words.append(rng.choice(topic))
            if rng.random() < 0.3:
                words.append(rng.choice(COMMON))
    return words


words = corpus()
vocabulary_size = len({w for w in words})


def build_dataset(words, n_words):
    count = [["UNK", -1]]
    count.extend(collections.Counter(words).most_common(n_words - 1))
    dictionary = {word: i for i, (word, _) in enumerate(count)}
    data = [dictionary.get(word, 0) for word in words]
    reversed_dictionary = dict(zip(dictionary.values(), dictionary.keys()))
    return data, count, dictionary, reversed_dictionary


data, count, dictionary, reverse_dictionary = build_dataset(words, vocabulary_size + 1)
data_index = 0


def generate_batch(batch_size, num_skips, skip_window):
    global data_index
    assert batch_size % num_skips == 0
    assert num_skips <= 2 * skip_window
    batch = np.ndarray(shape=(batch_size), dtype=np.int32)
    labels = np.ndarray(shape=(batch_size, 1), dtype=np.int32)
    span = 2 * skip_window + 1
    buffer = collections.deque(maxlen=span)
    if data_index + span > len(data):
        data_index = 0
    buffer.extend(data[data_index : data_index + span])
    data_index += span
    for i in range(batch_size // num_skips):
        context_words = [w for w in range(span) if w != skip_window]
        for j, context_word in enumerate(random.sample(context_words, num_skips)):
            batch[i * num_skips + j] = buffer[skip_window]
            labels[i * num_skips + j, 0] = buffer[context_word]
        if data_index == len(data):
            buffer.extend(data[0:span])
            data_index = span
        else:
            buffer.append(data[data_index])
            data_index += 1
    data_index = (data_index + len(data) - span) % len(data)
    return batch, labels


batch_size = 64
embedding_size = 16
skip_window = 2
num_skips = 4
num_sampled = 8
valid_words = ["cat", "blue", "three", "rome"]
valid_examples = np.array([dictionary[w] for w in valid_words])
random.seed(1)

graph = tf.Graph()
with graph.as_default():
    train_inputs = tf.placeholder(tf.int32, shape=[batch_size])
    train_labels = tf.placeholder(tf.int32, shape=[batch_size, 1])
    valid_dataset = tf.constant(valid_examples, dtype=tf.int32)
    with tf.device("/cpu:0"):
        embeddings = tf.Variable(
            tf.random_uniform([vocabulary_size + 1, embedding_size], -1.0, 1.0, seed=2)
        )
        embed = tf.nn.embedding_lookup(embeddings, train_inputs)
        nce_weights = tf.Variable(
            tf.truncated_normal(
                [vocabulary_size + 1, embedding_size], stddev=1.0 / np.sqrt(embedding_size), seed=3
            )
        )
        nce_biases = tf.Variable(tf.zeros([vocabulary_size + 1]))
    loss = tf.reduce_mean(
        tf.nn.nce_loss(
            weights=nce_weights,
            biases=nce_biases,
            labels=train_labels,
            inputs=embed,
            num_sampled=num_sampled,
            num_classes=vocabulary_size + 1,
        )
    )
    optimizer = tf.train.GradientDescentOptimizer(1.0).minimize(loss)
    norm = tf.sqrt(tf.reduce_sum(tf.square(embeddings), 1, keep_dims=True))
    normalized_embeddings = embeddings / norm
    valid_embeddings = tf.nn.embedding_lookup(normalized_embeddings, valid_dataset)
    similarity = tf.matmul(valid_embeddings, normalized_embeddings, transpose_b=True)
    init = tf.global_variables_initializer()

num_steps = 2001
with tf.Session(graph=graph) as session:
    init.run()
    average_loss = 0
    for step in range(num_steps):
        batch_inputs, batch_labels = generate_batch(batch_size, num_skips, skip_window)
        feed_dict = {train_inputs: batch_inputs, train_labels: batch_labels}
        _, loss_val = session.run([optimizer, loss], feed_dict=feed_dict)
        average_loss += loss_val
        if step % 500 == 0:
            if step > 0:
                average_loss /= 500
            print("Average loss at step ", step, ": ", average_loss)
            average_loss = 0
    sim = similarity.eval()

same, top_k = 0, 3
for i, word in enumerate(valid_words):
    nearest = (-sim[i, :]).argsort()[1 : top_k + 1]
    names = [reverse_dictionary[k] for k in nearest]
    print("Nearest to %s: %s" % (word, ", ".join(names)))
    topic = next(t for t in TOPICS if word in t)
    same += sum(name in topic for name in names)
print("same_topic %.3f" % (same / (top_k * len(valid_words))))
