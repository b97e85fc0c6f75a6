// The Net-SNMP side of the subagent. Everything in this file that calls Net-SNMP runs on the
// subagent's own thread (Impl::Run and the handlers and alarms it drives).
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include <spdlog/spdlog.h>

#include <dabs/mp/errc.h>
#include <dabs/snmp/mib.h>
#include <dabs/snmp/rows.h>
#include <dabs/snmp/subagent.h>

// Net-SNMP last: its headers define short macros (READ, WRITE, U64, ...).
// clang-format off
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
// clang-format on

namespace dabs::snmp {

namespace {

// Net-SNMP keeps its state in globals: one subagent per process.
std::atomic<bool> g_running{false};

std::vector<oid> ToNetSnmp(const Oid& o) {
  return std::vector<oid>(o.begin(), o.end());
}

// Copies `v` into a varbind (a request's answer or a trap's variable).
void SetValue(netsnmp_variable_list* var, const Value& v) {
  switch (v.type) {
    case Value::Type::kInteger: {
      const long n = static_cast<long>(v.number);
      snmp_set_var_typed_value(var, ASN_INTEGER, &n, sizeof n);
      return;
    }
    case Value::Type::kUnsigned:  // Unsigned32 and Gauge32 share APPLICATION 2 on the wire
    case Value::Type::kGauge: {
      const u_long n = static_cast<u_long>(v.number);
      snmp_set_var_typed_value(var, ASN_GAUGE, &n, sizeof n);
      return;
    }
    case Value::Type::kCounter: {
      const u_long n = static_cast<u_long>(v.number);
      snmp_set_var_typed_value(var, ASN_COUNTER, &n, sizeof n);
      return;
    }
    case Value::Type::kString:
      snmp_set_var_typed_value(var, ASN_OCTET_STR, v.text.data(), v.text.size());
      return;
    case Value::Type::kOid: {
      const auto o = ToNetSnmp(v.oid);
      snmp_set_var_typed_value(var, ASN_OBJECT_ID, o.data(), o.size() * sizeof(oid));
      return;
    }
  }
}

// A message Net-SNMP repeats (a master that is not there is reported at every ping) is
// logged at its level once per this period, at debug level in between.
constexpr auto kRepeatedLogPeriod = std::chrono::minutes(10);

struct LogState {
  std::string last;
  std::chrono::steady_clock::time_point last_at{};
};

// Net-SNMP's log lines go to spdlog, at the matching level. Called on the subagent's thread
// only. The state is a static, not the callback's client argument: snmp_shutdown() frees
// every client argument of the library's callbacks.
int LogToSpdlog(int, int, void* serverarg, void*) {
  static LogState log_state;
  LogState* state = &log_state;
  const auto* m = static_cast<const snmp_log_message*>(serverarg);
  if (!m || !m->msg) return 0;
  std::string_view text(m->msg);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  auto level = m->priority <= LOG_ERR       ? spdlog::level::err
               : m->priority == LOG_WARNING ? spdlog::level::warn
               : m->priority == LOG_DEBUG   ? spdlog::level::debug
                                            : spdlog::level::info;
  const auto now = std::chrono::steady_clock::now();
  if (text == state->last && now - state->last_at < kRepeatedLogPeriod) {
    level = spdlog::level::debug;
  } else {
    state->last = std::string(text);
    state->last_at = now;
  }
  spdlog::log(level, "snmp: {}", text);
  return 0;
}

// One table: its tdata rows point into `rows`, which only changes between requests.
struct Table {
  netsnmp_tdata* tdata = nullptr;
  netsnmp_handler_registration* registration = nullptr;
  netsnmp_table_registration_info* info = nullptr;  // not freed by unregistering
  std::vector<TableRow> rows;
};

}  // namespace

class Subagent::Impl {
 public:
  Impl(SubagentOptions options, std::shared_ptr<SnapshotBox> box)
      : options_(std::move(options)), box_(std::move(box)) {}

  void Start() {
    thread_ = std::thread([this] { Run(); });
  }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  SubagentStats stats() const { return {refreshes_.load(), notifications_sent_.load()}; }

 private:
  void Run() {
    ::setenv("MIBS", "", 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
    netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET,
                          options_.agentx_socket.c_str());
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, LogToSpdlog, nullptr);
    snmp_enable_calllog();
    init_agent(options_.name.c_str());
    // init_agent resets the ping interval to 15 s: set it afterwards (NOTES.md).
    netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
                       static_cast<int>(options_.ping_interval.count()));
    RegisterScalars();
    Register(servers_, "dabsServerTable", kServerTableArc, ASN_OCTET_STR,
             server_column::kFirstServed, server_column::kLast);
    Register(dasps_, "dabsDaspTable", kDaspTableArc, ASN_UNSIGNED, dasp_column::kFirstServed,
             dasp_column::kLast);
    Register(apps_, "dabsAppTable", kAppTableArc, ASN_OCTET_STR, app_column::kFirstServed,
             app_column::kLast);
    Register(moves_, "dabsMoveTable", kMoveTableArc, ASN_UNSIGNED, move_column::kFirstServed,
             move_column::kLast);
    init_snmp(options_.name.c_str());
    spdlog::info("snmp: AgentX subagent for {} started (master at {})",
                 OidToString(EnterpriseOid({})), options_.agentx_socket);

    // The alarm bounds every wait of agent_check_and_process, so the loop sees stop_ soon.
    const long usec = static_cast<long>(options_.refresh.count()) * 1000;
    timeval period{usec / 1'000'000, usec % 1'000'000};
    const unsigned alarm = snmp_alarm_register_hr(period, SA_REPEAT, &Impl::OnAlarm, this);
    Refresh();
    while (!stop_)
      agent_check_and_process(1);

    snmp_alarm_unregister(alarm);
    Unregister(servers_);
    Unregister(dasps_);
    Unregister(apps_);
    Unregister(moves_);
    if (scalars_) netsnmp_unregister_handler(scalars_);
    snmp_shutdown(options_.name.c_str());
    shutdown_agent();
    snmp_unregister_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, LogToSpdlog, nullptr, 1);
    spdlog::info("snmp: subagent stopped");
  }

  static void OnAlarm(unsigned int, void* self) { static_cast<Impl*>(self)->Refresh(); }

  void Refresh() {
    if (auto snapshot = box_->TakeIfNewer(generation_)) {
      scalars_values_ = FarmScalarValues(snapshot->farm);
      Rebuild(servers_, ServerRows(snapshot->servers));
      Rebuild(dasps_, DaspRows(snapshot->dasps));
      Rebuild(apps_, AppRows(snapshot->apps));
      Rebuild(moves_, MoveRows(snapshot->moves));
      ++refreshes_;
    }
    for (const auto& n : box_->TakeNotifications())
      Send(n);
  }

  // ---- scalars
  void RegisterScalars() {
    const auto base = ToNetSnmp(EnterpriseOid({kObjectsArc, kFarmArc}));
    scalars_ = netsnmp_create_handler_registration("dabsFarm", &Impl::ScalarHandler, base.data(),
                                                   base.size(), HANDLER_CAN_RONLY);
    scalars_->my_reg_void = this;
    if (netsnmp_register_scalar_group(scalars_, 1, farm_scalar::kLast) != SNMPERR_SUCCESS) {
      spdlog::error("snmp: cannot register the farm scalars");
      scalars_ = nullptr;
    }
  }

  static int ScalarHandler(netsnmp_mib_handler*, netsnmp_handler_registration* reg,
                           netsnmp_agent_request_info* info, netsnmp_request_info* requests) {
    auto* self = static_cast<Impl*>(reg->my_reg_void);
    if (info->mode != MODE_GET) return SNMP_ERR_NOERROR;
    for (auto* r = requests; r; r = r->next) {
      const netsnmp_variable_list* var = r->requestvb;
      // farm.N.0: the scalar number is the next-to-last sub-identifier.
      const uint32_t n =
          var->name_length >= 2 ? static_cast<uint32_t>(var->name[var->name_length - 2]) : 0;
      auto it = self->scalars_values_.find(n);
      if (it == self->scalars_values_.end()) {
        netsnmp_set_request_error(info, r, SNMP_NOSUCHOBJECT);
        continue;
      }
      SetValue(r->requestvb, it->second);
    }
    return SNMP_ERR_NOERROR;
  }

  // ---- tables
  void Register(Table& t, const char* name, uint32_t arc, u_char index_type, uint32_t first,
                uint32_t last) {
    const auto base = ToNetSnmp(EnterpriseOid({kObjectsArc, arc}));
    t.tdata = netsnmp_tdata_create_table(name, 0);
    t.registration = netsnmp_create_handler_registration(name, &Impl::TableHandler, base.data(),
                                                         base.size(), HANDLER_CAN_RONLY);
    auto* info = SNMP_MALLOC_TYPEDEF(netsnmp_table_registration_info);
    netsnmp_table_helper_add_indexes(info, index_type, 0);
    info->min_column = first;
    info->max_column = last;
    t.info = info;
    if (netsnmp_tdata_register(t.registration, t.tdata, info) != SNMPERR_SUCCESS) {
      spdlog::error("snmp: cannot register {}", name);
      t.registration = nullptr;  // freed by netsnmp_tdata_register on failure
    }
  }

  void Unregister(Table& t) {
    Clear(t);
    if (t.registration) netsnmp_unregister_handler(t.registration);
    t.registration = nullptr;
    if (t.tdata) netsnmp_tdata_delete_table(t.tdata);
    t.tdata = nullptr;
    if (t.info) netsnmp_table_registration_info_free(t.info);
    t.info = nullptr;
  }

  static void Clear(Table& t) {
    if (!t.tdata) return;
    while (netsnmp_tdata_row* row = netsnmp_tdata_row_first(t.tdata)) {
      netsnmp_tdata_remove_and_delete_row(t.tdata, row);
    }
  }

  // Replaces every row. Safe: requests are only handled on this thread, between refreshes.
  static void Rebuild(Table& t, std::vector<TableRow> rows) {
    Clear(t);
    t.rows = std::move(rows);
    if (!t.tdata) return;
    for (auto& r : t.rows) {
      netsnmp_tdata_row* row = netsnmp_tdata_create_row();
      if (!row) return;
      row->data = &r;
      // netsnmp_tdata_delete_row frees the index with free(): allocate it with malloc.
      row->oid_index.len = r.index.size();
      row->oid_index.oids = static_cast<oid*>(std::malloc(r.index.size() * sizeof(oid)));
      if (!row->oid_index.oids) {
        netsnmp_tdata_delete_row(row);
        return;
      }
      for (size_t i = 0; i < r.index.size(); ++i)
        row->oid_index.oids[i] = r.index[i];
      if (netsnmp_tdata_add_row(t.tdata, row) != SNMPERR_SUCCESS) netsnmp_tdata_delete_row(row);
    }
  }

  static int TableHandler(netsnmp_mib_handler*, netsnmp_handler_registration*,
                          netsnmp_agent_request_info* info, netsnmp_request_info* requests) {
    if (info->mode != MODE_GET) return SNMP_ERR_NOERROR;
    for (auto* r = requests; r; r = r->next) {
      if (r->processed) continue;
      const auto* row = static_cast<const TableRow*>(netsnmp_tdata_extract_entry(r));
      const netsnmp_table_request_info* table = netsnmp_extract_table_info(r);
      if (!row || !table) {
        netsnmp_set_request_error(info, r, SNMP_NOSUCHINSTANCE);
        continue;
      }
      auto it = row->columns.find(table->colnum);
      if (it == row->columns.end()) {
        netsnmp_set_request_error(info, r, SNMP_NOSUCHOBJECT);
        continue;
      }
      SetValue(r->requestvb, it->second);
    }
    return SNMP_ERR_NOERROR;
  }

  // ---- notifications
  void Send(const Notification& n) {
    netsnmp_variable_list* vars = nullptr;
    for (const VarBind& vb : NotificationVarBinds(n)) {
      const auto name = ToNetSnmp(vb.oid);
      netsnmp_variable_list* var =
          snmp_varlist_add_variable(&vars, name.data(), name.size(), ASN_NULL, nullptr, 0);
      if (var) SetValue(var, vb.value);
    }
    send_v2trap(vars);
    snmp_free_varbind(vars);
    ++notifications_sent_;
  }

  SubagentOptions options_;
  std::shared_ptr<SnapshotBox> box_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> refreshes_{0}, notifications_sent_{0};

  // Owned by the subagent's thread.
  uint64_t generation_ = 0;
  netsnmp_handler_registration* scalars_ = nullptr;
  std::map<uint32_t, Value> scalars_values_;
  Table servers_, dasps_, apps_, moves_;
};

Result<std::unique_ptr<Subagent>> Subagent::Start(SubagentOptions options,
                                                  std::shared_ptr<SnapshotBox> box) {
  if (g_running.exchange(true)) {
    return Error{make_error_code(mp::Errc::kLimitExceeded),
                 "this process already runs an SNMP subagent (Net-SNMP allows one)"};
  }
  auto impl = std::make_unique<Impl>(std::move(options), std::move(box));
  impl->Start();
  return std::unique_ptr<Subagent>(new Subagent(std::move(impl)));
}

Subagent::Subagent(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Subagent::~Subagent() {
  Stop();
}

void Subagent::Stop() {
  if (!impl_) return;
  impl_->Stop();
  impl_.reset();
  g_running = false;
}

SubagentStats Subagent::stats() const {
  return impl_ ? impl_->stats() : SubagentStats{};
}

}  // namespace dabs::snmp
