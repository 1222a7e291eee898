"""C++ compiler flags of every compiled kernel under lib/: the Cython extensions (setup.py) and
the TensorFlow op (lib/people_op.py), kept in one place so that both give the same results.

-fno-math-errno and -fno-trapping-math change no result; they let the compiler vectorise loops
with sqrt and selects (lib/vector_math.hpp), since nothing here reads errno or the
floating-point exception flags.
"""

CXXFLAGS = ("-O3", "-std=c++17", "-pthread", "-fno-math-errno", "-fno-trapping-math")
