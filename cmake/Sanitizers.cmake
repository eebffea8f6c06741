# ASan+UBSan for the test build: every test runs under both.
if(PARLEY_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# libFuzzer builds (clang): every library gets the fuzzer's coverage instrumentation and
# ASan+UBSan; only the targets in tests/fuzz link the fuzzer's main. UBSan's `function` check
# is left out: with it, clang 14 cannot emit coroutines ("Cannot represent a difference across
# sections"), and the WebSocket and HTTP layers are coroutines.
if(PARLEY_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PARLEY_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=function -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined -fno-sanitize=function)
endif()
