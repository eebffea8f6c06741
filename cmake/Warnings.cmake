# Warnings for every Parley target; errors in CI (PARLEY_WERROR).
add_library(parley_warnings INTERFACE)
target_compile_options(parley_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-missing-field-initializers
  $<$<BOOL:${PARLEY_WERROR}>:-Werror>)
