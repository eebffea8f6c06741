#include "loadgen/histogram.hpp"

#include <gtest/gtest.h>

namespace loadgen {
namespace {

TEST(Histogram, BucketsTileTheRangeWithoutGaps) {
  for (int i = 0; i + 1 < Histogram::kBuckets; ++i) {
    ASSERT_LE(Histogram::low_of(i), Histogram::high_of(i)) << i;
    ASSERT_EQ(Histogram::high_of(i) + 1, Histogram::low_of(i + 1)) << i;
  }
  for (std::uint64_t v : std::initializer_list<std::uint64_t>{0, 1, 31, 32, 33, 1000, 123456789, UINT64_MAX}) {
    const int i = Histogram::index_of(v);
    EXPECT_LE(Histogram::low_of(i), v);
    EXPECT_GE(Histogram::high_of(i), v);
  }
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 10; ++v) h.record(v);
  EXPECT_EQ(h.count(), 10u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 10u);
  EXPECT_EQ(h.percentile(0.5), 5u);
  EXPECT_EQ(h.percentile(0.9), 9u);
  EXPECT_EQ(h.percentile(1.0), 10u);
  EXPECT_DOUBLE_EQ(h.mean(), 5.5);
}

TEST(Histogram, PercentilesStayWithinTheBucketError) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100000; ++v) h.record(v);
  for (double q : {0.5, 0.9, 0.99}) {
    const double exact = q * 100000;
    const auto got = static_cast<double>(h.percentile(q));
    EXPECT_GE(got, exact) << q;
    EXPECT_LE(got, exact * (1.0 + 1.0 / Histogram::kSubBuckets)) << q;
  }
  EXPECT_EQ(h.percentile(1.0), 100000u);
}

TEST(Histogram, MergeAddsCounts) {
  Histogram a, b;
  a.record(5);
  b.record(5000);
  b.record(7);
  a.merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.min(), 5u);
  EXPECT_EQ(a.max(), 5000u);
  EXPECT_EQ(a.buckets().size(), 3u);
}

TEST(Histogram, EmptyReportsZeros) {
  Histogram h;
  EXPECT_EQ(h.percentile(0.99), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
}

} // namespace
} // namespace loadgen
