"""tf.linalg's LU family (Lu; lu_reconstruct, lu_solve, lu_matrix_inverse), logm and
eigh_tridiagonal, against numpy and values TensorFlow 1.x gave for the same calls."""

import numpy as np
import pytest

import psflow as tf

A = np.array([[1.0, 2, 3], [4, 5, 6], [7, 8, 10]])


def _run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


def test_lu_is_tfs_and_reconstructs():
    lu, p = tf.linalg.lu(A)
    got_lu, got_p, rebuilt = _run([lu, p, tf.linalg.lu_reconstruct(lu, p)])
    np.testing.assert_allclose(  # TF
        got_lu,
        [[7.0, 8.0, 10.0], [0.14285714, 0.85714286, 1.57142857], [0.57142857, 0.5, -0.5]],
        rtol=1e-7,
    )
    np.testing.assert_array_equal(got_p, [2, 0, 1])  # TF
    lower = np.tril(got_lu, -1) + np.eye(3)
    np.testing.assert_allclose(lower @ np.triu(got_lu), A[got_p])
    np.testing.assert_allclose(rebuilt, A)
    assert tf.linalg.lu(A, output_idx_type=tf.int64)[1].dtype == tf.int64
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        tf.linalg.lu(np.ones((2, 3)))


def test_lu_solve_and_inverse_batched_with_gradients():
    rng = np.random.RandomState(0)
    a = rng.randn(2, 4, 4) + 4 * np.eye(4)
    rhs = rng.randn(2, 4, 3)
    x = tf.constant(a)
    r = tf.constant(rhs)
    lu, p = tf.linalg.lu(x)
    sol = tf.linalg.lu_solve(lu, p, r)
    inv = tf.linalg.lu_matrix_inverse(lu, p)
    (grad_r,) = tf.gradients(tf.reduce_sum(sol), [r])
    got = _run([sol, inv, grad_r])
    np.testing.assert_allclose(got[0], np.linalg.solve(a, rhs), rtol=1e-10)
    np.testing.assert_allclose(got[1], np.linalg.inv(a), rtol=1e-10)
    # d sum(A^-1 r) / d r = A^-T 1
    want = np.linalg.solve(np.swapaxes(a, -1, -2), np.ones((2, 4, 3)))
    np.testing.assert_allclose(got[2], want, rtol=1e-10)


def test_lu_solve_gradient_through_the_factors_matches_finite_differences():
    rng = np.random.RandomState(1)
    factors = np.triu(rng.randn(3, 3)) + 3 * np.eye(3) + np.tril(rng.randn(3, 3), -1) * 0.3
    perm = np.array([1, 2, 0], np.int32)
    rhs = rng.randn(3, 2)
    f = tf.placeholder(tf.float64, [3, 3])
    loss = tf.reduce_sum(tf.square(tf.linalg.lu_solve(f, perm, rhs)))
    (grad,) = tf.gradients(loss, [f])
    with tf.Session() as sess:
        analytic = sess.run(grad, {f: factors})
        numeric = np.zeros_like(factors)
        for idx in np.ndindex(3, 3):
            step = np.zeros_like(factors)
            step[idx] = 1e-6
            up, down = (sess.run(loss, {f: factors + s}) for s in (step, -step))
            numeric[idx] = (up - down) / 2e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


def test_logm_is_tfs():
    got = _run(tf.linalg.logm(tf.constant(A.astype(np.complex128))))
    np.testing.assert_allclose(  # TF
        got,
        [[0.12912887 + 2.65070806j, 0.74152929 + 0.35358778j, 0.27187502 - 0.92370171j],
         [0.9227793 - 0.26221336j, -0.34879003 - 0.03497761j, 1.6643086 + 0.09137443j],
         [1.00789456 - 1.50904471j, 2.03231837 - 0.20129707j, 1.31827344 + 0.52586221j]],
        rtol=1e-7,
    )  # fmt: skip
    with pytest.raises(TypeError):
        tf.linalg.logm(A)


def test_eigh_tridiagonal_is_tfs():
    d, e = np.array([1.0, 2, 3]), np.array([0.5, 0.25])
    got = _run([
        tf.linalg.eigh_tridiagonal(d, e),
        tf.linalg.eigh_tridiagonal(d, e, eigvals_only=False),
        tf.linalg.eigh_tridiagonal(d, e, select="i", select_range=[1, 2]),
        tf.linalg.eigh_tridiagonal(d, e, select="v", select_range=[0.5, 2.5]),
    ])  # fmt: skip
    np.testing.assert_allclose(got[0], [0.78868248, 2.145189, 3.06612852], rtol=1e-7)  # TF
    values, vectors = got[1]
    dense = np.diag(d) + np.diag(e, 1) + np.diag(e, -1)
    np.testing.assert_allclose(dense @ vectors, vectors * values, atol=1e-12)
    np.testing.assert_allclose(got[2], [2.145189, 3.06612852], rtol=1e-7)  # TF
    np.testing.assert_allclose(got[3], [0.78868248, 2.145189], rtol=1e-7)  # TF
    with pytest.raises(ValueError, match="select"):
        tf.linalg.eigh_tridiagonal(d, e, select="x")
