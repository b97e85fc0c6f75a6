// statistics/mib/DABS-MIB.txt is written by hand and no MIB compiler runs here (Debian 12
// ships none of the base IETF MIBs, shared/NOTES.md), so this test reads its structure with a
// small parser and holds it against the OIDs the agent serves (mib.h): every object and
// notification on either side is on the other, with the same number, syntax and access.
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include <dabs/snmp/mib.h>

namespace dabs::snmp {
namespace {

struct MibDefinition {
  std::string macro;  // OBJECT-TYPE, NOTIFICATION-TYPE, OBJECT IDENTIFIER, ...
  std::string parent;
  uint32_t number = 0;
  std::string syntax;                // the first word of SYNTAX
  std::string access;                // MAX-ACCESS
  std::vector<std::string> objects;  // OBJECTS or NOTIFICATIONS
};

// Words and punctuation of ASN.1 text, without strings and comments ("--" to the end of the
// line or to the next "--").
std::vector<std::string> Tokens(const std::string& text) {
  std::vector<std::string> out;
  size_t i = 0;
  auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; };
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"') {
      i = text.find('"', i + 1);
      i = i == std::string::npos ? text.size() : i + 1;
    } else if (text.compare(i, 2, "--") == 0) {
      const size_t eol = text.find('\n', i);
      const size_t close = text.find("--", i + 2);
      i = std::min(eol == std::string::npos ? text.size() : eol,
                   close == std::string::npos ? text.size() : close + 2);
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (text.compare(i, 3, "::=") == 0) {
      out.emplace_back("::=");
      i += 3;
    } else if (text.compare(i, 2, "..") == 0) {
      out.emplace_back("..");
      i += 2;
    } else if (word_char(c)) {
      size_t j = i;
      // A word may hold single hyphens (OBJECT-TYPE, read-only), never "--".
      while (j < text.size() && word_char(text[j]) && text.compare(j, 2, "--") != 0)
        ++j;
      out.push_back(text.substr(i, j - i));
      i = j;
    } else {
      out.emplace_back(1, c);
      ++i;
    }
  }
  return out;
}

// Every named definition with an OID value: name -> definition.
std::map<std::string, MibDefinition> ParseMib(const std::string& text) {
  static const std::set<std::string> kMacros = {
      "OBJECT-TYPE",        "NOTIFICATION-TYPE", "MODULE-IDENTITY", "OBJECT-GROUP",
      "NOTIFICATION-GROUP", "MODULE-COMPLIANCE", "OBJECT-IDENTITY"};
  const auto t = Tokens(text);
  std::map<std::string, MibDefinition> out;
  for (size_t i = 0; i + 2 < t.size(); ++i) {
    if (!std::islower(static_cast<unsigned char>(t[i][0]))) continue;
    MibDefinition d;
    size_t j = i + 1;
    if (kMacros.count(t[j])) {
      d.macro = t[j++];
    } else if (t[j] == "OBJECT" && t[j + 1] == "IDENTIFIER") {
      d.macro = "OBJECT IDENTIFIER";
      j += 2;
    } else {
      continue;
    }
    for (; j < t.size() && t[j] != "::="; ++j) {
      if (t[j] == "SYNTAX" && j + 1 < t.size()) d.syntax = t[j + 1];
      if (t[j] == "MAX-ACCESS" && j + 1 < t.size()) d.access = t[j + 1];
      if ((t[j] == "OBJECTS" || t[j] == "NOTIFICATIONS") && j + 1 < t.size() && t[j + 1] == "{") {
        for (j += 2; j < t.size() && t[j] != "}"; ++j) {
          if (t[j] != ",") d.objects.push_back(t[j]);
        }
      }
    }
    // ::= { parent number }
    if (j + 4 >= t.size() || t[j + 1] != "{" || t[j + 4] != "}") continue;
    d.parent = t[j + 2];
    d.number = static_cast<uint32_t>(std::stoul(t[j + 3]));
    out[t[i]] = d;
    i = j + 4;
  }
  return out;
}

// The OID of `name`, resolved through its parents down to `enterprises`.
Oid Resolve(const std::map<std::string, MibDefinition>& defs, const std::string& name,
            int depth = 0) {
  if (name == "enterprises") return {1, 3, 6, 1, 4, 1};
  auto it = defs.find(name);
  if (it == defs.end() || depth > 32) return {};
  Oid oid = Resolve(defs, it->second.parent, depth + 1);
  if (oid.empty()) return {};
  oid.push_back(it->second.number);
  return oid;
}

std::string ReadMib() {
  std::ifstream in(DABS_MIB_FILE);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string_view AccessWord(Access a) {
  switch (a) {
    case Access::kNone:
      return "";
    case Access::kNotAccessible:
      return "not-accessible";
    case Access::kReadOnly:
      return "read-only";
  }
  return "";
}

std::string_view ExpectedSyntax(const MibObject& o) {
  if (o.kind == MibKind::kTable) return "SEQUENCE";
  if (o.kind == MibKind::kEntry) return "";  // the entry type's name, checked separately
  return SyntaxName(o.syntax);
}

TEST(MibParser, SkipsCommentsAndStringsAndReadsAssignments) {
  const std::string text = R"(
    X DEFINITIONS ::= BEGIN
    -- a comment with "a quote and a fake ::= { nothing 1 }
    top OBJECT IDENTIFIER ::= { enterprises 9 }
    leaf OBJECT-TYPE
        SYNTAX Gauge32 (0..100)
        MAX-ACCESS read-only -- trailing -- STATUS current
        DESCRIPTION "text with -- dashes and ::= { top 99 }"
        ::= { top 3 }
    note NOTIFICATION-TYPE OBJECTS { leaf, leaf } STATUS current ::= { top 0 }
    END)";
  const auto defs = ParseMib(text);
  ASSERT_EQ(defs.size(), 3u);
  EXPECT_EQ(defs.at("leaf").syntax, "Gauge32");
  EXPECT_EQ(defs.at("leaf").access, "read-only");
  EXPECT_EQ(Resolve(defs, "leaf"), (Oid{1, 3, 6, 1, 4, 1, 9, 3}));
  EXPECT_EQ(defs.at("note").objects, (std::vector<std::string>{"leaf", "leaf"}));
  EXPECT_FALSE(defs.count("nothing"));
}

TEST(MibStructure, TheModuleSitsOnTheAgentsEnterpriseArc) {
  const auto defs = ParseMib(ReadMib());
  ASSERT_TRUE(defs.count("dabsMIB")) << "no MODULE-IDENTITY dabsMIB in " << DABS_MIB_FILE;
  EXPECT_EQ(defs.at("dabsMIB").macro, "MODULE-IDENTITY");
  EXPECT_EQ(Resolve(defs, "dabsMIB"), Oid(kEnterpriseArc.begin(), kEnterpriseArc.end()));
}

TEST(MibStructure, EveryObjectTheAgentServesIsInTheMibWithItsNumberSyntaxAndAccess) {
  const auto defs = ParseMib(ReadMib());
  for (const MibObject& o : MibObjects()) {
    SCOPED_TRACE(std::string(o.name));
    auto it = defs.find(std::string(o.name));
    ASSERT_NE(it, defs.end()) << "missing from DABS-MIB.txt";
    EXPECT_EQ(it->second.macro,
              o.kind == MibKind::kNotification ? "NOTIFICATION-TYPE" : "OBJECT-TYPE");
    EXPECT_EQ(OidToString(Resolve(defs, std::string(o.name))), OidToString(o.oid));
    if (o.kind != MibKind::kEntry) {
      EXPECT_EQ(it->second.syntax, ExpectedSyntax(o));
    }
    EXPECT_EQ(it->second.access, AccessWord(o.access));
    std::vector<std::string> objects(o.objects.begin(), o.objects.end());
    EXPECT_EQ(it->second.objects, objects);
  }
}

TEST(MibStructure, EveryObjectOfTheMibIsServedByTheAgent) {
  const auto defs = ParseMib(ReadMib());
  size_t checked = 0;
  for (const auto& [name, d] : defs) {
    if (d.macro != "OBJECT-TYPE" && d.macro != "NOTIFICATION-TYPE") continue;
    const MibObject* o = FindMibObject(name);
    ASSERT_NE(o, nullptr) << name << " is in DABS-MIB.txt but the agent does not know it";
    EXPECT_EQ(OidToString(Resolve(defs, name)), OidToString(o->oid)) << name;
    ++checked;
  }
  EXPECT_EQ(checked, MibObjects().size());
}

TEST(MibStructure, TheConformanceGroupsListEverythingServedAndSent) {
  const auto defs = ParseMib(ReadMib());
  ASSERT_TRUE(defs.count("dabsObjectsGroup") && defs.count("dabsNotificationsGroup"));
  std::set<std::string> readable, notifications;
  for (const MibObject& o : MibObjects()) {
    if (o.access == Access::kReadOnly) readable.insert(std::string(o.name));
    if (o.kind == MibKind::kNotification) notifications.insert(std::string(o.name));
  }
  const auto& objects = defs.at("dabsObjectsGroup").objects;
  const auto& notes = defs.at("dabsNotificationsGroup").objects;
  EXPECT_EQ(std::set<std::string>(objects.begin(), objects.end()), readable);
  EXPECT_EQ(std::set<std::string>(notes.begin(), notes.end()), notifications);
}

TEST(MibStructure, NotificationObjectsAreColumnsOfTheTables) {
  for (const MibObject& o : MibObjects()) {
    for (std::string_view name : o.objects) {
      const MibObject* column = FindMibObject(name);
      ASSERT_NE(column, nullptr) << name;
      EXPECT_EQ(column->kind, MibKind::kColumn) << name;
      EXPECT_EQ(column->access, Access::kReadOnly) << name;
    }
  }
}

}  // namespace
}  // namespace dabs::snmp
