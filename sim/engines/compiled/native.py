"""numpy's and scipy's own transcendental functions, called from compiled code.

numba's ``exp`` and ``log`` are LLVM's (the C library's); numpy's are its own SIMD loops,
which differ in the last bit for a few values in a hundred. So compiled code that must give
the numpy engine's bits calls numpy's loops themselves: ``ufunc._get_strided_loop`` hands
out a ufunc's inner loop for given dtypes and strides (the access numpy documents for
compiled callers), and scipy's ``cython_special`` exports ``ndtri`` and ``gammaincinv`` as
C functions. :func:`addresses` collects their addresses, once a process, and checks them
against numpy and scipy on a sample; the compiled functions here take those addresses at
run time (numba cannot cache code with an address frozen in).

The addresses are in the order of the ``EXP``, ``LOG``, ``LOG1P`` (three each: the loop,
its context, its data) and ``NDTRI``, ``GAMMAINCINV`` offsets.
"""

from __future__ import annotations

import ctypes
from functools import cache

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

EXP, LOG, LOG1P, NDTRI, GAMMAINCINV = 0, 3, 6, 9, 10
FUNCTIONS = 11
_CAPSULE = b"numpy_1.24_ufunc_call_info"  # the layout numpy's docstring of the method gives
_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_pointer.restype, _pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
_name = ctypes.pythonapi.PyCapsule_GetName
_name.restype, _name.argtypes = ctypes.c_char_p, [ctypes.py_object]
_kept: list[object] = []  # the loops' capsules: numpy frees a loop's data with its capsule


@intrinsic
def _strided_loop(typingctx, loop, context, data, dimensions, strides, auxdata):
    """Call numpy's strided loop at address ``loop``: ``int (*)(context, char **data,
    npy_intp *dimensions, npy_intp *strides, auxdata)``, every argument an address."""
    sig = types.int32(*[types.intp] * 6)

    def codegen(cgctx, builder, signature, args):
        byte = ir.IntType(8).as_pointer()
        kind = ir.FunctionType(ir.IntType(32), [byte] * 5)
        function = builder.inttoptr(args[0], kind.as_pointer())
        return builder.call(function, [builder.inttoptr(a, byte) for a in args[1:]])

    return sig, codegen


@intrinsic
def _special(typingctx, function, a, x):
    """Call scipy's ``double f(double a, double x, int skip_dispatch)`` at address
    ``function`` (a cpdef function of ``cython_special``; ``skip_dispatch`` is 0)."""
    sig = types.float64(types.intp, types.float64, types.float64)

    def codegen(cgctx, builder, signature, args):
        double = ir.DoubleType()
        kind = ir.FunctionType(double, [double, double, ir.IntType(32)])
        pointer = builder.inttoptr(args[0], kind.as_pointer())
        return builder.call(pointer, [args[1], args[2], ir.Constant(ir.IntType(32), 0)])

    return sig, codegen


@intrinsic
def _special_1(typingctx, function, x):
    """As :func:`_special` for ``double f(double x, int skip_dispatch)``."""
    sig = types.float64(types.intp, types.float64)

    def codegen(cgctx, builder, signature, args):
        double = ir.DoubleType()
        kind = ir.FunctionType(double, [double, ir.IntType(32)])
        pointer = builder.inttoptr(args[0], kind.as_pointer())
        return builder.call(pointer, [args[1], ir.Constant(ir.IntType(32), 0)])

    return sig, codegen


@njit(cache=True)
def unary(fn: np.ndarray, which: int, x: np.ndarray, out: np.ndarray, n: int, call: np.ndarray):
    """``out[:n] = f(x[:n])`` by numpy's own loop of ufunc ``which`` (``EXP``, ``LOG`` or
    ``LOG1P``), both contiguous float64; ``call`` is a scratch of five ``intp``."""
    call[0], call[1], call[2], call[3], call[4] = x.ctypes.data, out.ctypes.data, n, 8, 8
    at = call.ctypes.data
    # (mypy reads an intrinsic's typing signature, its typing context first)
    _strided_loop(fn[which], fn[which + 1], at, at + 16, at + 24, fn[which + 2])  # type: ignore[call-arg]


@njit(cache=True)
def ndtri(fn: np.ndarray, u: float) -> float:
    """scipy's ``ndtri(u)``: the standard normal's quantile."""
    return _special_1(fn[NDTRI], u)  # type: ignore[call-arg]


@njit(cache=True)
def gammaincinv(fn: np.ndarray, a: float, u: float) -> float:
    """scipy's ``gammaincinv(a, u)``: the unit-scale gamma's quantile, shape ``a``."""
    return _special(fn[GAMMAINCINV], a, u)  # type: ignore[call-arg]


@njit(cache=True)
def _each(fn: np.ndarray, x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Every function of ``fn`` on ``x`` one value a call, as the loop calls them:
    ``(5, len(x))`` for exp, log, log1p, ndtri, gammaincinv (shape ``a``)."""
    out = np.empty((5, len(x)))
    call = np.empty(5, dtype=np.intp)
    one = np.empty(1)
    for i in range(len(x)):
        for row, which in enumerate((EXP, LOG, LOG1P)):
            unary(fn, which, x[i:], one, 1, call)
            out[row, i] = one[0]
        out[3, i] = ndtri(fn, x[i])
        out[4, i] = gammaincinv(fn, a[i], x[i])
    return out


def _loop(ufunc: np.ufunc) -> tuple[int, int, int]:
    """The address of ``ufunc``'s float64 strided loop (contiguous), its context's and its
    data's."""
    double = np.dtype(np.float64)
    _, info = ufunc._resolve_dtypes_and_context((double, double))  # type: ignore[attr-defined]
    ufunc._get_strided_loop(info, fixed_strides=(8, 8))  # type: ignore[attr-defined]
    _kept.append(info)
    loop, context, auxdata = (ctypes.c_void_p * 3).from_address(_pointer(info, _CAPSULE))
    return loop or 0, context or 0, auxdata or 0


#: The C signatures of the ``cython_special`` functions called (their capsules' names).
SIGNATURES = {
    "ndtri": b"double (double, int __pyx_skip_dispatch)",
    "gammaincinv": b"double (double, double, int __pyx_skip_dispatch)",
}


def _cython(name: str) -> int:
    """The address of scipy's ``cython_special`` C function ``name``, 0 if its signature
    is not the one called."""
    from scipy.special import cython_special

    capsule = cython_special.__pyx_capi__[name]
    signature = _name(capsule)
    return (_pointer(capsule, signature) or 0) if signature == SIGNATURES[name] else 0


@cache
def addresses() -> np.ndarray | None:
    """The functions' addresses (``FUNCTIONS`` of them, int64), or None where they are not
    to be had or give other bits than numpy's and scipy's on a sample: the exact values
    where the compiled loop calls them (``(0, 1)``), logs of those divided by a vehicle
    count, their negatives, and the normal quantiles' range."""
    from scipy.special import gammaincinv as scipy_gammaincinv
    from scipy.special import ndtri as scipy_ndtri

    try:
        fn = np.array([*_loop(np.exp), *_loop(np.log), *_loop(np.log1p)], dtype=np.int64)
        fn = np.append(fn, [_cython("ndtri"), _cython("gammaincinv")])
    except (AttributeError, KeyError, TypeError, ValueError):  # another numpy or scipy
        return None
    if not fn.all():
        return None
    rng = np.random.default_rng(2016)
    u = np.concatenate([[2.0**-54, 0.5, 1 - 2.0**-53], rng.random(4_000)])
    x = np.concatenate([u, np.log(u) / rng.integers(1, 80, len(u)), -u, rng.normal(0, 4, 999)])
    a = rng.uniform(0.01, 200.0, len(x))
    with np.errstate(all="ignore"):
        expected = np.array([
            np.exp(x), np.log(x), np.log1p(x), scipy_ndtri(x), scipy_gammaincinv(a, x)
        ])  # fmt: skip
    same = np.array_equal(_each(fn, x, a), expected, equal_nan=True)
    return fn if same else None
