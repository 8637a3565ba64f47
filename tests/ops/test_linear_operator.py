"""tf.linalg.LinearOperator and its subclasses: each dense matrix against a numpy
construction (and TF 1.x's where the layout is TF's: permutation, Toeplitz, circulant),
and the methods (matmul/matvec, solve, determinants, trace, adjoint, inverse, cholesky)
against numpy on the dense matrix; gradients flow through to_dense."""

import numpy as np
import pytest

import psflow as tf

L = tf.linalg
A = np.array([[2.0, 1, 0], [1, 3, 1], [0, 1, 4]])


def _run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


def test_dense_forms():
    b = np.array([[1.0, 2], [3, 4]])
    c = np.array([[0.0, 1, 2], [1, 0, 3], [2, 2, 1]])
    cases = {
        "full": (L.LinearOperatorFullMatrix(A), A),
        "diag": (L.LinearOperatorDiag(np.array([2.0, 3, 4])), np.diag([2.0, 3, 4])),
        "eye": (L.LinearOperatorIdentity(3, dtype=tf.float64), np.eye(3)),
        "scaled": (L.LinearOperatorScaledIdentity(3, np.float64(2.5)), 2.5 * np.eye(3)),
        "tril": (L.LinearOperatorLowerTriangular(A + np.triu(np.ones((3, 3)), 1)), np.tril(A)),
        "zeros": (L.LinearOperatorZeros(2, 3, dtype=tf.float64), np.zeros((2, 3))),
        "adjoint": (L.LinearOperatorAdjoint(L.LinearOperatorFullMatrix(b)), b.T),
        "inverse": (L.LinearOperatorInversion(L.LinearOperatorFullMatrix(A)), np.linalg.inv(A)),
        "composition": (L.LinearOperatorComposition([L.LinearOperatorFullMatrix(A),
                                                     L.LinearOperatorFullMatrix(A.T)]), A @ A.T),
        "block_diag": (L.LinearOperatorBlockDiag([L.LinearOperatorFullMatrix(b),
                                                  L.LinearOperatorDiag(np.array([5.0]))]),
                       np.array([[1.0, 2, 0], [3, 4, 0], [0, 0, 5]])),
        "block_lower": (L.LinearOperatorBlockLowerTriangular(
            [[L.LinearOperatorFullMatrix(b)],
             [L.LinearOperatorFullMatrix(np.array([[7.0, 8]])),
              L.LinearOperatorFullMatrix(np.array([[5.0]]))]]),
            np.array([[1.0, 2, 0], [3, 4, 0], [7, 8, 5]])),
        "kronecker": (L.LinearOperatorKronecker([L.LinearOperatorFullMatrix(b),
                                                 L.LinearOperatorFullMatrix(c)]), np.kron(b, c)),
        "low_rank": (L.LinearOperatorLowRankUpdate(
            L.LinearOperatorDiag(np.array([1.0, 2, 3])), np.array([[1.0, 0], [0, 1], [1, 1]]),
            diag_update=np.array([2.0, 3])),
            np.diag([1.0, 2, 3]) + np.array([[1.0, 0], [0, 1], [1, 1]]) @ np.diag([2.0, 3])
            @ np.array([[1.0, 0], [0, 1], [1, 1]]).T),
        "householder": (L.LinearOperatorHouseholder(np.array([1.0, 2, 2])),
                        np.eye(3) - 2 * np.outer([1, 2, 2], [1, 2, 2]) / 9),
        "permutation": (L.LinearOperatorPermutation([2, 0, 1], dtype=tf.float64),
                        np.eye(3)[[2, 0, 1]]),  # TF: row i has its 1 at perm[i]
        "toeplitz": (L.LinearOperatorToeplitz(np.array([1.0, 2, 3]), np.array([1.0, 5, 6])),
                     np.array([[1.0, 5, 6], [2, 1, 5], [3, 2, 1]])),
        "tridiag": (L.LinearOperatorTridiag(np.array([[1.0, 2, 0], [4, 5, 6], [0, 7, 8]])),
                    np.array([[4.0, 1, 0], [7, 5, 2], [0, 8, 6]])),
    }  # fmt: skip
    got = _run({k: op.to_dense() for k, (op, _) in cases.items()})
    for key, (_, want) in cases.items():
        np.testing.assert_allclose(got[key], want, atol=1e-12, err_msg=key)


def test_circulant_operators_are_tfs():
    one = L.LinearOperatorCirculant(tf.constant([6, -2 + 2j, -2, -2 - 2j], tf.complex64))
    two = L.LinearOperatorCirculant2D(tf.constant([[10, -2], [-4, 0]], tf.complex64))
    d1, d2 = _run([one.to_dense(), two.to_dense()])
    np.testing.assert_allclose(d1.real, [[0, 3, 2, 1], [1, 0, 3, 2], [2, 1, 0, 3], [3, 2, 1, 0]],
                               atol=1e-5)  # fmt: skip
    np.testing.assert_allclose(d2.real, [[1, 2, 3, 4], [2, 1, 4, 3], [3, 4, 1, 2], [4, 3, 2, 1]],
                               atol=1e-5)  # fmt: skip


@pytest.mark.parametrize("kind", ["full", "diag", "scaled", "tril"])
def test_methods_agree_with_the_dense_matrix(kind):
    spd = A @ A.T + np.eye(3)
    op = {"full": L.LinearOperatorFullMatrix(spd),
          "diag": L.LinearOperatorDiag(np.array([2.0, 3, 4])),
          "scaled": L.LinearOperatorScaledIdentity(3, np.float64(2.5)),
          "tril": L.LinearOperatorLowerTriangular(np.tril(spd))}[kind]  # fmt: skip
    dense = _run(op.to_dense())
    x = np.array([[1.0, 2], [3, 4], [5, 6]])
    got = _run(
        [
            op.matmul(x),
            op.matmul(x, adjoint=True),
            op.matvec(x[:, 0]),
            op.solve(x),
            op.solvevec(x[:, 0]),
            op.determinant(),
            op.log_abs_determinant(),
            op.trace(),
            op.adjoint().to_dense(),
            op.inverse().matmul(x),
            op.add_to_tensor(np.eye(3)),
        ]
    )
    np.testing.assert_allclose(got[0], dense @ x)
    np.testing.assert_allclose(got[1], dense.T @ x)
    np.testing.assert_allclose(got[2], dense @ x[:, 0])
    np.testing.assert_allclose(got[3], np.linalg.solve(dense, x))
    np.testing.assert_allclose(got[4], np.linalg.solve(dense, x[:, 0]))
    np.testing.assert_allclose(got[5], np.linalg.det(dense))
    np.testing.assert_allclose(got[6], np.log(abs(np.linalg.det(dense))))
    np.testing.assert_allclose(got[7], np.trace(dense))
    np.testing.assert_allclose(got[8], dense.T)
    np.testing.assert_allclose(got[9], np.linalg.solve(dense, x))
    np.testing.assert_allclose(got[10], dense + np.eye(3))
    assert op.shape.as_list() == [3, 3] and op.domain_dimension == 3 and op.is_square


def test_cholesky_eigvals_and_gradients_through_operators():
    spd = A @ A.T + np.eye(3)
    op = L.LinearOperatorFullMatrix(spd)
    chol, eig = _run([op.cholesky().to_dense(), op.eigvals()])
    np.testing.assert_allclose(chol, np.linalg.cholesky(spd))
    np.testing.assert_allclose(eig, np.linalg.eigvalsh(spd))
    d = tf.constant([2.0, 3.0])
    logdet = L.LinearOperatorDiag(d).log_abs_determinant()
    grad = _run(tf.gradients(logdet, d)[0])
    np.testing.assert_allclose(grad, [0.5, 1 / 3])
    with pytest.raises(TypeError, match="same dtype"):
        L.LinearOperatorComposition([L.LinearOperatorFullMatrix(np.eye(2)),
                                     L.LinearOperatorDiag(np.ones(2, np.float32))])  # fmt: skip
