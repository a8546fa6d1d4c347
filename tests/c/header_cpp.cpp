// The header must compile as C++ (-std=c++17 -Wall -Wextra -Werror -pedantic) and link: this
// program uses a few declarations of every kind and checks the version call at run time.
#include "agentdb.h"

#include <cstddef>
#include <cstdio>
#include <cstring>

static_assert(AGENTDB_OK == 0, "AGENTDB_OK is 0");
static_assert(sizeof(agentdb_metric) == 4, "agentdb_metric is an int32_t");
static_assert(offsetof(agentdb_search_options, struct_size) == 0, "struct_size comes first");

int main() {
    agentdb_db *db = nullptr;
    agentdb_status s = agentdb_db_open(nullptr, &db);
    if (s != AGENTDB_NULL_POINTER || db != nullptr || std::strlen(agentdb_errmsg()) == 0) {
        std::printf("C++ header check failed: %s\n", agentdb_errmsg());
        return 1;
    }
    bool has_index = true; // the header's bool (<stdbool.h>) is C++'s bool
    if (agentdb_collection_index_params(nullptr, &has_index, nullptr, nullptr) != AGENTDB_NULL_POINTER || has_index) {
        std::printf("C++ header check failed: agentdb_collection_index_params: %s\n", agentdb_errmsg());
        return 1;
    }
    // The options struct: a standard-layout C struct, returned by value.
    agentdb_search_options o = agentdb_search_options_default();
    if (o.struct_size != sizeof(agentdb_search_options) || o.ef != 0 || o.exact || o.threads != 0 || o.ids_only) {
        std::printf("C++ header check failed: agentdb_search_options_default\n");
        return 1;
    }
    o.ids_only = true;
    agentdb_results *r = nullptr;
    const float q[] = {1, 0, 0};
    if (agentdb_collection_search_with(nullptr, q, 3, 1, nullptr, nullptr, &o, &r) != AGENTDB_NULL_POINTER || r != nullptr) {
        std::printf("C++ header check failed: agentdb_collection_search_with: %s\n", agentdb_errmsg());
        return 1;
    }
    agentdb_metric m = AGENTDB_METRIC_COSINE;
    (void)m;
    std::printf("ok   header compiles and links as C++17 (agentdb %s)\n", agentdb_version());
    return 0;
}
