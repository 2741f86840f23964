#include "gtest/gtest.h"
TEST(Placeholder, WrittenNext) { FAIL() << "not written yet"; }
