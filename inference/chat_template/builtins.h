// The library a template can call: attribute and item access (with Python's str,
// dict and list methods), filters, tests and the globals Hugging Face provides.
#pragma once

#include <ctime>
#include <string>

#include "chat_template/value.h"

namespace chat_template {

// obj.name: a dict member or method, a string method, a namespace member...
// Undefined when absent; fails on an undefined obj (as Jinja does).
Value getAttr(const Value& obj, const std::string& name);
// obj[key]: list/string index (negative from the end), dict member; Undefined when absent.
Value getItem(const Value& obj, const Value& key);
// obj[start:stop:step] on lists and strings.
Value getSlice(const Value& obj, const Value& start, const Value& stop, const Value& step);

// Throws a runtime Failure for an unknown filter or test, or bad arguments.
Value applyFilter(const std::string& name, const Value& value, const CallArgs& args);
bool applyTest(const std::string& name, const Value& value, const CallArgs& args);
bool hasTest(const std::string& name);

// raise_exception, strftime_now (on the given clock), namespace, range, dict.
Dict makeGlobals(const std::tm& now);

// Python's len(): code points of a string, items of a list or dict.
int64_t pyLen(const Value& v);

}  // namespace chat_template
