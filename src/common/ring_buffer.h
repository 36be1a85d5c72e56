#pragma once

#include <algorithm>
#include <cassert>
#include <compare>
#include <cstddef>
#include <iterator>
#include <type_traits>
#include <utility>
#include <vector>

namespace healthgap {

// A FIFO of T in one contiguous array that wraps around: what the per-target histories (recent
// probes, sample windows, health latencies, cache facts) need of std::deque (push_back,
// pop_front, random access, an ordered insert near the back) without its memory. libstdc++'s
// deque allocates a 512-byte block and a map even while empty, and in 512-byte blocks after
// that: five of them per target were about half of an empty target (docs/benchmarks.md, "What was
// optimised").
// Grows by doubling up to `max_size` when one is given, so a history that keeps the last N holds
// exactly N slots. T must be default-constructible and movable; a popped slot is reset to T{} so
// it frees what it owned. Not thread-safe.
template <class T>
class RingBuffer {
  template <bool kConst>
  class Iterator;

 public:
  using value_type = T;
  using size_type = std::size_t;
  using iterator = Iterator<false>;
  using const_iterator = Iterator<true>;
  using reverse_iterator = std::reverse_iterator<iterator>;
  using const_reverse_iterator = std::reverse_iterator<const_iterator>;

  // max_size: the most elements it will ever hold (0: no bound); only caps the growth.
  explicit RingBuffer(std::size_t max_size = 0) : max_size_(max_size) {}

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t capacity() const { return slots_.size(); }

  T& operator[](std::size_t i) { return slots_[Slot(i)]; }
  const T& operator[](std::size_t i) const { return slots_[Slot(i)]; }
  T& front() { return (*this)[0]; }
  const T& front() const { return (*this)[0]; }
  T& back() { return (*this)[size_ - 1]; }
  const T& back() const { return (*this)[size_ - 1]; }

  void push_back(T value) {
    if (size_ == slots_.size()) Grow();
    slots_[Wrap(head_ + size_)] = std::move(value);
    ++size_;
  }
  void pop_front() {
    assert(size_ > 0);
    slots_[head_] = T{};
    head_ = head_ + 1 == slots_.size() ? 0 : head_ + 1;
    --size_;
  }
  void clear() {
    while (!empty()) pop_front();
    head_ = 0;
  }
  // Inserts before `position`, moving the elements after it back by one: cheap near the back,
  // where the ordered histories insert (a result that completes a little out of order).
  iterator insert(const_iterator position, T value) {
    const std::size_t index = position.index_;
    push_back(std::move(value));
    for (std::size_t i = size_ - 1; i > index; --i) std::swap((*this)[i], (*this)[i - 1]);
    return begin() + static_cast<std::ptrdiff_t>(index);
  }

  iterator begin() { return {this, 0}; }
  iterator end() { return {this, size_}; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size_}; }
  reverse_iterator rbegin() { return reverse_iterator(end()); }
  reverse_iterator rend() { return reverse_iterator(begin()); }
  const_reverse_iterator rbegin() const { return const_reverse_iterator(end()); }
  const_reverse_iterator rend() const { return const_reverse_iterator(begin()); }

 private:
  // The slot of element i.
  std::size_t Slot(std::size_t i) const {
    assert(i < size_);
    return Wrap(head_ + i);
  }
  // A position in [0, 2 * capacity()) as a slot.
  std::size_t Wrap(std::size_t position) const {
    return position < slots_.size() ? position : position - slots_.size();
  }
  void Grow() {
    std::size_t capacity = slots_.empty() ? 2 : 2 * slots_.size();
    if (max_size_ != 0 && capacity > max_size_) capacity = std::max(max_size_, size_ + 1);
    std::vector<T> slots;
    slots.reserve(capacity);
    for (std::size_t i = 0; i < size_; ++i) slots.push_back(std::move((*this)[i]));
    slots.resize(capacity);
    slots_ = std::move(slots);
    head_ = 0;
  }

  // Random access by position from the front; stays valid while no element is added or removed.
  template <bool kConst>
  class Iterator {
    using Ring = std::conditional_t<kConst, const RingBuffer, RingBuffer>;

   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = std::conditional_t<kConst, const T*, T*>;
    using reference = std::conditional_t<kConst, const T&, T&>;

    Iterator() = default;
    Iterator(Ring* ring, std::size_t index) : ring_(ring), index_(index) {}
    // iterator -> const_iterator.
    template <bool kOther>
    requires(kConst && !kOther) Iterator(const Iterator<kOther>& other)
        : ring_(other.ring_), index_(other.index_) {}

    reference operator*() const { return (*ring_)[index_]; }
    pointer operator->() const { return &(*ring_)[index_]; }
    reference operator[](difference_type n) const { return *(*this + n); }

    Iterator& operator++() { return ++index_, *this; }
    Iterator operator++(int) { return Iterator(ring_, index_++); }
    Iterator& operator--() { return --index_, *this; }
    Iterator operator--(int) { return Iterator(ring_, index_--); }
    Iterator& operator+=(difference_type n) {
      index_ = static_cast<std::size_t>(static_cast<difference_type>(index_) + n);
      return *this;
    }
    Iterator& operator-=(difference_type n) { return *this += -n; }
    friend Iterator operator+(Iterator it, difference_type n) { return it += n; }
    friend Iterator operator+(difference_type n, Iterator it) { return it += n; }
    friend Iterator operator-(Iterator it, difference_type n) { return it -= n; }
    friend difference_type operator-(const Iterator& a, const Iterator& b) {
      return static_cast<difference_type>(a.index_) - static_cast<difference_type>(b.index_);
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.index_ == b.index_; }
    friend auto operator<=>(const Iterator& a, const Iterator& b) { return a.index_ <=> b.index_; }

   private:
    friend class RingBuffer;
    template <bool>
    friend class Iterator;
    Ring* ring_ = nullptr;
    std::size_t index_ = 0;
  };

  std::vector<T> slots_;  // capacity() slots; [head_, head_ + size_) mod capacity are in use
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::size_t max_size_;
};

}  // namespace healthgap
