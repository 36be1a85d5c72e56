// The tailer through what logrotate and nginx do to a log: growth, partial lines, rename and
// reopen, copytruncate (with lines written between the copy and the truncation), a file that
// is not there yet, lines past the cap. Every case counts lines: none lost, none twice.

#include "sources/log_tailer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace healthgap::sources {
namespace {

class LogTailerTest : public ::testing::Test {
 protected:
  void Append(const std::string& text, const std::string& name = "access.log") {
    std::ofstream(dir_.Path(name), std::ios::app | std::ios::binary) << text;
  }
  void AppendLines(int from, int count) {
    std::string text;
    for (int i = from; i < from + count; ++i) text += "line " + std::to_string(i) + "\n";
    Append(text);
  }
  std::vector<std::string> Poll(LogTailer& tailer) {
    std::vector<std::string> lines;
    EXPECT_EQ(tailer.Poll([&](std::string_view line) { lines.emplace_back(line); }), "");
    return lines;
  }
  // Every line number from 0 to count-1 exactly once, in order.
  static void ExpectEachOnce(const std::vector<std::string>& lines, int count) {
    ASSERT_EQ(static_cast<int>(lines.size()), count);
    for (int i = 0; i < count; ++i) EXPECT_EQ(lines[i], "line " + std::to_string(i));
  }
  std::string path() const { return dir_.Path("access.log"); }

  testing::TempDir dir_;
};

TEST_F(LogTailerTest, StartsAtTheEndAndHandsOverCompleteLinesOnly) {
  Append("before healthgap looked\n");
  LogTailer tailer(path());
  Append("line 0\nline 1\nline ");
  EXPECT_EQ(Poll(tailer), (std::vector<std::string>{"line 0", "line 1"}));
  Append("2\n");
  EXPECT_EQ(Poll(tailer), (std::vector<std::string>{"line 2"}));
  EXPECT_TRUE(Poll(tailer).empty());
}

TEST_F(LogTailerTest, RenameRotationReadsTheOldFileToItsEndThenTheNewOne) {
  std::ofstream(path()).close();
  LogTailer tailer(path());
  std::vector<std::string> lines;
  AppendLines(0, 100);
  for (auto& line : Poll(tailer)) lines.push_back(line);
  AppendLines(100, 50);  // written after the poll, before the rename: only in the old file
  std::filesystem::rename(path(), dir_.Path("access.log.1"));
  // nginx writes to the renamed file until it reopens on USR1.
  Append("line 150\n", "access.log.1");
  AppendLines(151, 49);  // the new file
  for (auto& line : Poll(tailer)) lines.push_back(line);
  AppendLines(200, 10);
  for (auto& line : Poll(tailer)) lines.push_back(line);
  ExpectEachOnce(lines, 210);
}

TEST_F(LogTailerTest, RenamedAwayWithNoSuccessorYetIsNotAnError) {
  std::ofstream(path()).close();
  LogTailer tailer(path());
  AppendLines(0, 3);
  std::filesystem::rename(path(), dir_.Path("access.log.1"));
  std::vector<std::string> lines = Poll(tailer);
  AppendLines(3, 2);
  for (auto& line : Poll(tailer)) lines.push_back(line);
  ExpectEachOnce(lines, 5);
}

TEST_F(LogTailerTest, CopytruncateLosesNoLineWrittenBetweenPollAndTruncation) {
  std::ofstream(path()).close();
  LogTailer tailer(path());
  std::vector<std::string> lines;
  AppendLines(0, 100);
  for (auto& line : Poll(tailer)) lines.push_back(line);
  AppendLines(100, 20);  // after the last poll: these make it only into the copy
  std::filesystem::copy_file(path(), dir_.Path("access.log.1"));
  std::filesystem::resize_file(path(), 0);
  AppendLines(120, 5);
  for (auto& line : Poll(tailer)) lines.push_back(line);
  AppendLines(125, 5);
  for (auto& line : Poll(tailer)) lines.push_back(line);
  ExpectEachOnce(lines, 130);
}

TEST_F(LogTailerTest, CopytruncateIgnoresACopyThatIsNotOfThisFile) {
  std::ofstream(path()).close();
  LogTailer tailer(path());
  AppendLines(0, 10);
  std::vector<std::string> lines = Poll(tailer);
  // A stale .1 from another rotation: longer, other bytes.
  Append(std::string(4096, 'x') + "\nline from another day\n", "access.log.1");
  std::filesystem::resize_file(path(), 0);
  AppendLines(10, 3);
  for (auto& line : Poll(tailer)) lines.push_back(line);
  ExpectEachOnce(lines, 13);
}

TEST_F(LogTailerTest, AFileThatAppearsLaterIsReadFromItsStart) {
  LogTailer tailer(path());
  std::string error = tailer.Poll([](std::string_view) {});
  EXPECT_NE(error.find("No such file"), std::string::npos) << error;
  AppendLines(0, 4);
  ExpectEachOnce(Poll(tailer), 4);
}

TEST_F(LogTailerTest, ALineBeyondTheCapIsDroppedAndCounted) {
  std::ofstream(path()).close();
  LogTailer tailer(path(), LogTailer::Limits{.max_line_bytes = 100, .max_bytes_per_poll = 1 << 20});
  Append("line 0\n" + std::string(1000, 'y') + "\nline 1\n");
  ExpectEachOnce(Poll(tailer), 2);
  EXPECT_EQ(tailer.lines_dropped(), 1u);
}

TEST_F(LogTailerTest, APollReadsAtMostItsBudgetAndTheNextGoesOn) {
  std::ofstream(path()).close();
  LogTailer tailer(path(), LogTailer::Limits{.max_line_bytes = 100, .max_bytes_per_poll = 1000});
  AppendLines(0, 1000);  // about 9 KB
  std::vector<std::string> lines = Poll(tailer);
  EXPECT_LT(lines.size(), 200u);
  for (int polls = 0; polls < 100 && lines.size() < 1000; ++polls) {
    for (auto& line : Poll(tailer)) lines.push_back(line);
  }
  ExpectEachOnce(lines, 1000);
}

TEST_F(LogTailerTest, ADirectoryIsAnError) {
  LogTailer tailer(dir_.path().string());
  EXPECT_NE(tailer.Poll([](std::string_view) {}), "");
}

}  // namespace
}  // namespace healthgap::sources
