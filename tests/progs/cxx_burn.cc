// A C++ program for the demangling test (tests/integration/symbols_cxx.sh): all of its CPU time
// is in one namespaced, overloaded member function, so the folded stacks must name it as
// "hot::Kernel::spin(unsigned long)" rather than the mangled _ZN3hot6Kernel4spinEm.
#include <cstdio>
#include <cstdlib>

namespace hot {
struct Kernel {
    unsigned long state = 1;
    __attribute__((noinline)) unsigned long spin(unsigned long n)
    {
        for (unsigned long i = 0; i < n; i++) state = state * 6364136223846793005ul + 1442695040888963407ul;
        return state;
    }
};
}

int main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 300000000ul;
    hot::Kernel k;
    std::printf("%lu\n", k.spin(n) & 1);
    return 0;
}
