#include "config/file_sd.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/temp_dir.h"

namespace healthgap::config {
namespace {

using healthgap::testing::TempDir;

using std::chrono::seconds;

std::vector<std::string> Names(const std::vector<Target>& targets) {
  std::vector<std::string> names;
  for (const Target& target : targets) names.push_back(target.name);
  return names;
}

TEST(LoadFileSdStringTest, YamlGroupsBecomeTargetsOfTheModule) {
  const FileSdLoad loaded = LoadFileSdString(
      "- targets: ['10.0.0.1:8080', 'https://api.example.com/']\n"
      "  labels: {env: prod, __meta_x: dropped}\n"
      "- targets: ['db.internal:9000']\n"
      "  labels: {__scheme__: https, name: database}\n",
      "sd.yml", BuiltinDefaultModule());
  ASSERT_FALSE(loaded.error) << loaded.error->Format();
  ASSERT_EQ(loaded.targets.size(), 3u);
  EXPECT_EQ(loaded.targets[0].name, "10.0.0.1:8080");
  EXPECT_EQ(loaded.targets[0].base_url, "http://10.0.0.1:8080");
  EXPECT_EQ(loaded.targets[0].labels, (std::map<std::string, std::string>{{"env", "prod"}}));
  EXPECT_EQ(loaded.targets[0].samples, BuiltinDefaultModule().samples);
  EXPECT_EQ(loaded.targets[1].name, "api.example.com");
  EXPECT_EQ(loaded.targets[1].base_url, "https://api.example.com");
  EXPECT_EQ(loaded.targets[2].name, "database");
  EXPECT_EQ(loaded.targets[2].base_url, "https://db.internal:9000");
  EXPECT_TRUE(loaded.targets[2].labels.empty());
}

TEST(LoadFileSdStringTest, JsonIsReadToo) {
  const FileSdLoad loaded = LoadFileSdString(
      "[\n\t{\"targets\": [\"10.0.0.2:80\"], \"labels\": {\"team\": \"payments\"}}\n]\n", "sd.json",
      BuiltinDefaultModule());
  ASSERT_FALSE(loaded.error) << loaded.error->Format();
  EXPECT_EQ(Names(loaded.targets), (std::vector<std::string>{"10.0.0.2:80"}));
  EXPECT_EQ(loaded.targets[0].labels.at("team"), "payments");
}

TEST(LoadFileSdStringTest, EmptyFileHasNoTargets) {
  const FileSdLoad loaded = LoadFileSdString("", "sd.yml", BuiltinDefaultModule());
  EXPECT_FALSE(loaded.error);
  EXPECT_TRUE(loaded.targets.empty());
}

struct BadFile {
  std::string text;
  std::string error;
};
void PrintTo(const BadFile& bad, std::ostream* out) { *out << bad.error; }

class LoadFileSdErrorTest : public ::testing::TestWithParam<BadFile> {};

TEST_P(LoadFileSdErrorTest, NamesFileLineAndField) {
  const FileSdLoad loaded = LoadFileSdString(GetParam().text, "sd.yml", BuiltinDefaultModule());
  ASSERT_TRUE(loaded.error);
  EXPECT_EQ(loaded.error->Format(), GetParam().error);
  EXPECT_TRUE(loaded.targets.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Rules, LoadFileSdErrorTest,
    ::testing::Values(
        BadFile{"targets: [a:1]\n",
                "sd.yml:1: expected a list of target groups ({targets: [...], labels: {...}}), "
                "got a map"},
        BadFile{"- targets: [a:1]\n  lables: {}\n", "sd.yml:2: [0].lables: unknown key \"lables\"; expected one of targets, labels"},
        BadFile{"- labels: {env: prod}\n", "sd.yml:1: [0].targets: required field is missing"},
        BadFile{"- targets: ['10.0.0.1:8080']\n- targets:\n  - '10.0.0.2:99999'\n",
                "sd.yml:3: [1].targets[0]: invalid URL \"http://10.0.0.2:99999\": invalid port "
                "\"99999\", expected 1-65535"},
        BadFile{"- targets: [a:1]\n  labels: {instance: x}\n",
                "sd.yml:2: [0].labels.instance: label name \"instance\" is reserved, healthgap "
                "sets it on its own series"},
        BadFile{"- targets: [a:1]\n  labels: {__scheme__: ftp}\n",
                "sd.yml:2: [0].labels.__scheme__: must be http or https, got \"ftp\""},
        BadFile{"- targets: ['http://a.example/x/y']\n",
                "sd.yml:1: [0].targets[0]: invalid target name \"a.example/x/y\", allowed "
                "characters are A-Z a-z 0-9 _ . : -; set a \"name\" label"},
        BadFile{
            "- targets: [a:1\n",
            "sd.yml:2: invalid YAML: did not find expected ',' or ']' (column 1; while parsing a "
            "flow sequence that starts at line 1)"}));

// Found by fuzz_config: nlohmann's parser throws out_of_range, not parse_error, for a number no
// type holds, and that escaped the loader and ended the process.
TEST(LoadFileSdJsonTest, NumberTooLargeForAnyTypeIsAnErrorNotACrash) {
  const FileSdLoad loaded =
      LoadFileSdString(R"([{"targets": 99998E00615}])", "sd.json", BuiltinDefaultModule());
  ASSERT_TRUE(loaded.error);
  EXPECT_EQ(loaded.error->Format(), "sd.json: invalid JSON: number overflow parsing '99998E00615'");
  EXPECT_TRUE(loaded.targets.empty());
}

TEST(LoadFileSdJsonTest, JsonFilesMustBeJson) {
  const FileSdLoad yaml_in_json =
      LoadFileSdString("- targets: ['127.0.0.1:1']\n", "sd.json", BuiltinDefaultModule());
  ASSERT_TRUE(yaml_in_json.error);
  EXPECT_EQ(yaml_in_json.error->Format(),
            "sd.json:1: invalid JSON: syntax error while parsing value - invalid number; expected "
            "digit after '-'; last read: '- '");
  const FileSdLoad json = LoadFileSdString(
      R"([{"targets": ["127.0.0.1:1"], "labels": {"a": "b"}}])", "sd.json", BuiltinDefaultModule());
  ASSERT_FALSE(json.error) << json.error->Format();
  ASSERT_EQ(json.targets.size(), 1u);
  EXPECT_EQ(json.targets[0].labels.at("a"), "b");
}

TEST(MergeTargetsTest, StaticFirstThenDiscoveredFirstNameWins) {
  auto target = [](std::string name, std::string url) {
    Target t = TargetFromModule(BuiltinDefaultModule(), std::move(name), std::move(url), {});
    return t;
  };
  const MergedTargets merged =
      MergeTargets({target("api", "http://static:1")},
                   {target("a:1", "http://a:1"), target("api", "http://discovered:1"),
                    target("a:1", "http://a:1")});
  EXPECT_EQ(Names(merged.targets), (std::vector<std::string>{"api", "a:1"}));
  EXPECT_EQ(merged.targets[0].base_url, "http://static:1");
  EXPECT_EQ(merged.dropped, (std::vector<std::string>{"api", "a:1"}));
}

class FileSdWatcherTest : public ::testing::Test {
 protected:
  FileSdWatcher MakeWatcher(std::vector<std::string> files) {
    FileSdConfig config;
    config.files = std::move(files);
    config.refresh_interval = seconds(30);
    return FileSdWatcher({config}, {{"default", BuiltinDefaultModule()}}, clock_);
  }

  TempDir dir_;
  FakeClock clock_;
};

TEST_F(FileSdWatcherTest, AddModifyRemoveAndBrokenFileKeepsPrevious) {
  dir_.Write("a.yml", "- targets: ['10.0.0.1:80']\n");
  FileSdWatcher watcher = MakeWatcher({dir_.Path("*.yml")});
  EXPECT_TRUE(watcher.Poll());  // the first poll reads everything
  EXPECT_EQ(Names(watcher.Targets()), (std::vector<std::string>{"10.0.0.1:80"}));

  // Nothing is re-read before refresh_interval passes.
  dir_.Write("b.yml", "- targets: ['10.0.0.2:80']\n");
  clock_.Advance(seconds(29));
  EXPECT_FALSE(watcher.Poll());
  EXPECT_EQ(watcher.Targets().size(), 1u);

  // Added file.
  clock_.Advance(seconds(1));
  EXPECT_TRUE(watcher.Poll());
  EXPECT_EQ(Names(watcher.Targets()), (std::vector<std::string>{"10.0.0.1:80", "10.0.0.2:80"}));

  // Unchanged content: no change.
  clock_.Advance(seconds(30));
  EXPECT_FALSE(watcher.Poll());

  // Modified file.
  dir_.Write("a.yml", "- targets: ['10.0.0.3:80']\n");
  clock_.Advance(seconds(30));
  EXPECT_TRUE(watcher.Poll());
  EXPECT_EQ(Names(watcher.Targets()), (std::vector<std::string>{"10.0.0.3:80", "10.0.0.2:80"}));

  // Broken file: previous targets stay, the error names the file and line.
  dir_.Write("a.yml", "- targets: ['10.0.0.4:80'\n");
  clock_.Advance(seconds(30));
  EXPECT_FALSE(watcher.Poll());
  EXPECT_EQ(Names(watcher.Targets()), (std::vector<std::string>{"10.0.0.3:80", "10.0.0.2:80"}));
  ASSERT_EQ(watcher.Errors().size(), 1u);
  EXPECT_EQ(watcher.Errors()[0].file, dir_.Path("a.yml"));
  EXPECT_EQ(watcher.Errors()[0].line, 2);

  // Fixed again: the error clears.
  dir_.Write("a.yml", "- targets: ['10.0.0.4:80']\n");
  clock_.Advance(seconds(30));
  EXPECT_TRUE(watcher.Poll());
  EXPECT_TRUE(watcher.Errors().empty());
  EXPECT_EQ(Names(watcher.Targets()), (std::vector<std::string>{"10.0.0.4:80", "10.0.0.2:80"}));

  // Removed file takes its targets with it.
  std::filesystem::remove(dir_.Path("b.yml"));
  clock_.Advance(seconds(30));
  EXPECT_TRUE(watcher.Poll());
  EXPECT_EQ(Names(watcher.Targets()), (std::vector<std::string>{"10.0.0.4:80"}));
}

TEST_F(FileSdWatcherTest, MissingPlainPathHasNoTargets) {
  FileSdWatcher watcher = MakeWatcher({dir_.Path("absent.json")});
  EXPECT_FALSE(watcher.Poll());
  EXPECT_TRUE(watcher.Targets().empty());
  EXPECT_TRUE(watcher.Errors().empty());
}

TEST_F(FileSdWatcherTest, WatchesComparesConfigsAndModules) {
  FileSdWatcher watcher = MakeWatcher({dir_.Path("*.yml")});
  FileSdConfig same;
  same.files = {dir_.Path("*.yml")};
  EXPECT_TRUE(watcher.Watches({same}, {{"default", BuiltinDefaultModule()}}));
  same.refresh_interval = seconds(5);
  EXPECT_FALSE(watcher.Watches({same}, {{"default", BuiltinDefaultModule()}}));
}

// examples/file_sd is documentation people copy: it must load and discover what it says.
TEST(FileSdExampleTest, LoadsAndDiscoversEveryTarget) {
  const LoadResult loaded =
      LoadFile(std::string(HEALTHGAP_SOURCE_DIR) + "/examples/file_sd/healthgap.yml");
  ASSERT_TRUE(loaded.config) << loaded.error->Format();
  FakeClock clock;
  FileSdWatcher watcher(loaded.config->file_sd_configs, loaded.config->modules, clock);
  EXPECT_TRUE(watcher.Poll());
  EXPECT_TRUE(watcher.Errors().empty());
  const MergedTargets merged = MergeTargets(loaded.config->targets, watcher.Targets());
  EXPECT_EQ(Names(merged.targets),
            (std::vector<std::string>{"checkout", "10.0.2.1:9000", "10.0.2.2:9000", "payments-eu",
                                      "10.0.1.7:8080", "10.0.1.8:8080", "web-canary"}));
  EXPECT_TRUE(merged.dropped.empty());
}

}  // namespace
}  // namespace healthgap::config
