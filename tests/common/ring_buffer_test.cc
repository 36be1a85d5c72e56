#include "common/ring_buffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace healthgap {
namespace {

template <class T>
std::vector<T> Items(const RingBuffer<T>& ring) {
  return std::vector<T>(ring.begin(), ring.end());
}

TEST(RingBufferTest, KeepsFifoOrderAcrossTheWrap) {
  RingBuffer<int> ring(3);
  for (int i = 1; i <= 3; ++i) ring.push_back(i);
  ring.pop_front();
  ring.push_back(4);  // wraps into the slot 1 left
  EXPECT_EQ(Items(ring), (std::vector<int>{2, 3, 4}));
  EXPECT_EQ(ring.front(), 2);
  EXPECT_EQ(ring.back(), 4);
  EXPECT_EQ(ring[1], 3);
  EXPECT_EQ(std::vector<int>(ring.rbegin(), ring.rend()), (std::vector<int>{4, 3, 2}));
}

TEST(RingBufferTest, AHistoryOfNHoldsExactlyNSlots) {
  RingBuffer<int> ring(20);
  for (int i = 0; i < 1000; ++i) {
    if (ring.size() == 20) ring.pop_front();
    ring.push_back(i);
  }
  EXPECT_EQ(ring.capacity(), 20u);
  EXPECT_EQ(ring.front(), 980);
  EXPECT_EQ(ring.back(), 999);
}

TEST(RingBufferTest, GrowsWithoutABoundAndKeepsOrder) {
  RingBuffer<int> ring;
  for (int i = 0; i < 5; ++i) ring.push_back(i);
  ring.pop_front();
  ring.pop_front();
  for (int i = 5; i < 40; ++i) ring.push_back(i);  // grows while wrapped
  std::vector<int> expected;
  for (int i = 2; i < 40; ++i) expected.push_back(i);
  EXPECT_EQ(Items(ring), expected);
}

TEST(RingBufferTest, APoppedSlotReleasesWhatItHeld) {
  auto owned = std::make_shared<int>(7);
  RingBuffer<std::shared_ptr<int>> ring(4);
  ring.push_back(owned);
  EXPECT_EQ(owned.use_count(), 2);
  ring.pop_front();
  EXPECT_EQ(owned.use_count(), 1);
}

TEST(RingBufferTest, InsertKeepsAnOrderedHistoryOrdered) {
  RingBuffer<int> ring;
  for (int value : {10, 20, 40}) ring.push_back(value);
  ring.pop_front();  // head moves, so the insert crosses the wrap below
  ring.push_back(50);
  ring.push_back(60);
  auto position = std::lower_bound(ring.begin(), ring.end(), 45);
  const auto inserted = ring.insert(position, 45);
  EXPECT_EQ(*inserted, 45);
  EXPECT_EQ(Items(ring), (std::vector<int>{20, 40, 45, 50, 60}));
  ring.insert(ring.begin(), 1);
  ring.insert(ring.end(), 99);
  EXPECT_EQ(Items(ring), (std::vector<int>{1, 20, 40, 45, 50, 60, 99}));
}

// The same operations on a RingBuffer and a std::deque, seeded: the contents never differ.
TEST(RingBufferTest, BehavesLikeADequeUnderRandomOperations) {
  for (unsigned seed = 1; seed <= 50; ++seed) {
    std::mt19937 random(seed);
    const std::size_t bound = 1 + random() % 16;
    RingBuffer<std::string> ring(bound);
    std::deque<std::string> deque;
    for (int step = 0; step < 500; ++step) {
      const unsigned op = random() % 4;
      const std::string value = std::to_string(random() % 1000);
      if (op == 0 && !deque.empty()) {
        ring.pop_front();
        deque.pop_front();
      } else if (deque.size() < bound) {
        if (op == 1 && !deque.empty()) {
          const std::size_t at = random() % (deque.size() + 1);
          ring.insert(ring.begin() + static_cast<std::ptrdiff_t>(at), value);
          deque.insert(deque.begin() + static_cast<std::ptrdiff_t>(at), value);
        } else {
          ring.push_back(value);
          deque.push_back(value);
        }
      }
      ASSERT_EQ(Items(ring), std::vector<std::string>(deque.begin(), deque.end()))
          << "seed " << seed << " step " << step;
      ASSERT_LE(ring.capacity(), bound);
    }
  }
}

TEST(RingBufferTest, ClearEmptiesAndStaysUsable) {
  RingBuffer<int> ring(2);
  ring.push_back(1);
  ring.push_back(2);
  ring.clear();
  EXPECT_TRUE(ring.empty());
  ring.push_back(3);
  EXPECT_EQ(Items(ring), (std::vector<int>{3}));
}

}  // namespace
}  // namespace healthgap
