// model.json: parse and validate the bundle manifest (no torch here; see models/README.md).
#include "shim_internal.hpp"

#include <sys/stat.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

namespace plshim {
namespace {

using nlohmann::json;

// The newest bundle format this shim understands; older ones stay readable.
constexpr int kFormatVersion = 1;

[[noreturn]] void bad(const std::string &path, const std::string &what) {
  throw Error(PLSHIM_ERR_MANIFEST, path + ": " + what);
}

const json &field(const json &obj, const char *key, const std::string &path) {
  auto it = obj.find(key);
  if (it == obj.end()) bad(path, std::string("missing field \"") + key + "\"");
  return *it;
}

std::string get_string(const json &obj, const char *key, const std::string &path,
                       bool required = true) {
  if (!required && !obj.contains(key)) return "";
  const json &v = field(obj, key, path);
  if (!v.is_string()) bad(path, std::string("\"") + key + "\" must be a string");
  return v.get<std::string>();
}

int get_int(const json &obj, const char *key, const std::string &path, int lo, int hi) {
  const json &v = field(obj, key, path);
  if (!v.is_number_integer()) bad(path, std::string("\"") + key + "\" must be an integer");
  const int64_t x = v.get<int64_t>();
  if (x < lo || x > hi)
    bad(path, std::string("\"") + key + "\" = " + std::to_string(x) + " is out of range [" +
                  std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int>(x);
}

double get_double(const json &obj, const char *key, const std::string &path) {
  const json &v = field(obj, key, path);
  if (!v.is_number()) bad(path, std::string("\"") + key + "\" must be a number");
  const double x = v.get<double>();
  if (!std::isfinite(x)) bad(path, std::string("\"") + key + "\" must be finite");
  return x;
}

// Optional non-negative count ("parameters": {"unet": n, ...}); -1 when absent.
int64_t get_count(const json &obj, const char *key, const std::string &path) {
  if (!obj.is_object() || !obj.contains(key)) return -1;
  const json &v = obj.at(key);
  if (!v.is_number_integer() || v.get<int64_t>() < 0)
    bad(path, std::string("parameters.") + key + " must be a non-negative integer");
  return v.get<int64_t>();
}

void parse_into(const json &j, const std::string &path, Manifest &m) {
  if (!j.is_object()) bad(path, "top level is not a JSON object");
  const int version = get_int(j, "format_version", path, 1, 1 << 20);
  if (version > kFormatVersion)
    bad(path, "format_version " + std::to_string(version) + " is newer than this shim (" +
                  std::to_string(kFormatVersion) + ")");
  m.name = get_string(j, "name", path);
  if (m.name.empty()) bad(path, "\"name\" is empty");
  m.description = get_string(j, "description", path, false);
  m.license = get_string(j, "license", path);
  m.image_size = get_int(j, "image_size", path, 1, 16384);
  if (j.contains("image_channels") && get_int(j, "image_channels", path, 1, 64) != 3)
    bad(path, "only 3-channel (RGB) images are supported");

  const json &ls = field(j, "latent_shape", path);
  if (!ls.is_array() || ls.size() != 3) bad(path, "\"latent_shape\" must be [channels, h, w]");
  int dims[3];
  for (int i = 0; i < 3; i++) {
    if (!ls[i].is_number_integer() || ls[i].get<int64_t>() < 1 || ls[i].get<int64_t>() > 16384)
      bad(path, "\"latent_shape\" entries must be positive integers");
    dims[i] = static_cast<int>(ls[i].get<int64_t>());
  }
  m.latent_channels = dims[0];
  m.latent_h = dims[1];
  m.latent_w = dims[2];

  // The C API promises images in [-1,1]; a bundle on another range would need conversion.
  const json &vr = field(j, "value_range", path);
  if (!vr.is_array() || vr.size() != 2 || !vr[0].is_number() || !vr[1].is_number() ||
      vr[0].get<double>() != -1.0 || vr[1].get<double>() != 1.0)
    bad(path, "\"value_range\" must be [-1, 1]");

  m.first_stage = get_string(j, "first_stage", path);
  if (m.first_stage != "kl" && m.first_stage != "vq")
    bad(path, "\"first_stage\" must be \"kl\" or \"vq\", not \"" + m.first_stage + "\"");
  m.scale_factor = get_double(j, "scale_factor", path);
  if (!(m.scale_factor > 0.0)) bad(path, "\"scale_factor\" must be positive");

  const json &s = field(j, "schedule", path);
  if (!s.is_object()) bad(path, "\"schedule\" must be an object");
  m.num_timesteps = get_int(s, "num_timesteps", path, 1, 1000000);
  m.beta_schedule = get_string(s, "beta_schedule", path);
  if (m.beta_schedule != "linear")
    bad(path, "schedule.beta_schedule \"" + m.beta_schedule + "\" is not supported (linear)");
  m.beta_start = get_double(s, "beta_start", path);
  m.beta_end = get_double(s, "beta_end", path);
  if (!(m.beta_start > 0.0 && m.beta_start <= m.beta_end && m.beta_end < 1.0))
    bad(path, "schedule betas must satisfy 0 < beta_start <= beta_end < 1");
  m.parameterization = get_string(s, "parameterization", path);
  if (m.parameterization != "eps")
    bad(path, "schedule.parameterization \"" + m.parameterization + "\" is not supported (eps)");

  if (j.contains("parameters")) {
    const json &p = j.at("parameters");
    if (!p.is_object()) bad(path, "\"parameters\" must be an object");
    m.unet_params = get_count(p, "unet", path);
    m.encoder_params = get_count(p, "encoder", path);
    m.decoder_params = get_count(p, "decoder", path);
  }
}

}  // namespace

std::string not_a_file(const std::string &path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return path + ": no such file";
  if (S_ISDIR(st.st_mode)) return path + ": is a folder, not a file";
  if (S_ISFIFO(st.st_mode)) return path + ": is a FIFO (named pipe), not a file";
  if (!S_ISREG(st.st_mode)) return path + ": is a device or socket, not a file";
  return std::string();
}

// model.json is ~2 KB; the cap keeps a hostile bundle from making us read gigabytes.
constexpr off_t kManifestMaxBytes = 1 << 20;

Manifest parse_manifest(const std::string &path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    throw Error(PLSHIM_ERR_MISSING_FILE, not_a_file(path));
  if (st.st_size > kManifestMaxBytes)
    bad(path, std::to_string(st.st_size) + " bytes; a manifest is at most 1 MiB");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(PLSHIM_ERR_MANIFEST, path + ": cannot be opened");
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception &e) {
    bad(path, std::string("not valid JSON: ") + e.what());
  }
  Manifest m;
  try {
    parse_into(j, path, m);
  } catch (const json::exception &e) {  // a type surprise the checks above did not foresee
    bad(path, e.what());
  }
  return m;
}

}  // namespace plshim
