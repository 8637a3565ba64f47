"""`tf.linalg`: linear algebra under its TF 1.x `tf.linalg` names (numpy's LAPACK)."""

from psflow.graph.ops.array import eye  # noqa: F401
from psflow.graph.ops.array_more import (  # noqa: F401
    cross,
    einsum,
    matrix_band_part as band_part,
)
from psflow.graph.ops.clip import global_norm  # noqa: F401
from psflow.graph.ops.linalg import (  # noqa: F401
    cholesky,
    cholesky_solve,
    logdet,
    matrix_determinant as det,
    matrix_diag as diag,
    matrix_diag_part as diag_part,
    matrix_inverse as inv,
    matrix_set_diag as set_diag,
    matrix_solve as solve,
    matrix_solve_ls as lstsq,
    matrix_transpose,
    matrix_transpose as adjoint,
    matrix_triangular_solve as triangular_solve,
    norm,
    normalize,
    slogdet,
    tensor_diag,
    tensor_diag_part,
    tensordot,
    trace,
)
from psflow.graph.ops.linalg_more import (  # noqa: F401
    eigh_tridiagonal,
    logm,
    lu,
    lu_matrix_inverse,
    lu_reconstruct,
    lu_solve,
    matrix_exponential as expm,
    matrix_rank,
    matrix_square_root as sqrtm,
    pinv,
    qr,
    self_adjoint_eig as eigh,
    self_adjoint_eigvals as eigvalsh,
    svd,
    tridiagonal_matmul,
    tridiagonal_solve,
)
from psflow.graph.ops.manip import transpose  # noqa: F401
from psflow.graph.ops.math import matmul  # noqa: F401
from psflow.graph.ops.nn import l2_normalize  # noqa: F401


def matvec(a, b, transpose_a=False, name=None):
    """a @ b for a vector (or a batch of vectors) b."""
    from psflow.graph.ops import array

    return array.squeeze(matmul(a, array.expand_dims(b, -1), transpose_a=transpose_a), [-1])


from psflow.graph.linear_operator import (  # noqa: E402, F401
    LinearOperator,
    LinearOperatorAdjoint,
    LinearOperatorBlockDiag,
    LinearOperatorBlockLowerTriangular,
    LinearOperatorCirculant,
    LinearOperatorCirculant2D,
    LinearOperatorCirculant3D,
    LinearOperatorComposition,
    LinearOperatorDiag,
    LinearOperatorFullMatrix,
    LinearOperatorHouseholder,
    LinearOperatorIdentity,
    LinearOperatorInversion,
    LinearOperatorKronecker,
    LinearOperatorLowerTriangular,
    LinearOperatorLowRankUpdate,
    LinearOperatorPermutation,
    LinearOperatorScaledIdentity,
    LinearOperatorToeplitz,
    LinearOperatorTridiag,
    LinearOperatorZeros,
)
