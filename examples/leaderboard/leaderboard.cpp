#include "leaderboard.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace leaderboard {

namespace json = boost::json;

asyncload::RequestId Client::track(asyncload::RequestId id, Kind kind) {
  if (id < 0) last_error_ = http_.last_error();
  else pending_.push_back({id, kind});
  return id;
}

asyncload::RequestId Client::post_score(const std::string& name, std::int64_t score) {
  const std::string body = json::serialize(json::object{{"name", name}, {"score", score}});
  return track(http_.http_request(api_ + "/leaderboard/scores", "POST", {{"Content-Type", "application/json"}}, body),
               Kind::score);
}

asyncload::RequestId Client::fetch_top() { return track(http_.http_get(api_ + "/leaderboard/top"), Kind::top); }

asyncload::RequestId Client::fetch_avatar(const Score& who, const std::string& path) {
  return track(http_.http_get_file(api_ + who.avatar, path), Kind::avatar);
}

bool Client::handle(const asyncload::AsyncLoad& e) {
  auto found = std::find_if(pending_.begin(), pending_.end(), [&](const Pending& p) { return p.id == e.id(); });
  if (found == pending_.end()) return false;
  if (!e.is_final()) return true;  // progress: a bar could show e.size_downloaded()
  const Kind kind = found->kind;
  pending_.erase(found);
  if (e.failed() || e.http_status() / 100 != 2) {
    errors_.push_back(e.failed() ? std::string(e.error()) : "HTTP " + std::to_string(e.http_status()));
    return true;
  }
  boost::system::error_code ec;
  switch (kind) {
    case Kind::score: {
      const json::value answer = json::parse(e.result(), ec);
      if (!ec && answer.is_object() && answer.as_object().contains("rank") && answer.at("rank").is_int64())
        rank_ = answer.at("rank").get_int64();
      else errors_.push_back("the score answer is not {\"rank\": N}");
      break;
    }
    case Kind::top: {
      const json::value answer = json::parse(e.result(), ec);
      const json::object* o = !ec && answer.is_object() ? &answer.get_object() : nullptr;
      if (!o || !o->contains("scores") || !o->at("scores").is_array()) {
        errors_.push_back("the top ten is not {\"scores\": [...]}");
        break;
      }
      top_.clear();
      for (const json::value& item : o->at("scores").get_array()) {
        if (!item.is_object()) continue;
        const json::object& s = item.get_object();
        Score score;
        if (const auto* v = s.if_contains("name"); v && v->is_string()) score.name = v->get_string();
        if (const auto* v = s.if_contains("score"); v && v->is_int64()) score.score = v->get_int64();
        if (const auto* v = s.if_contains("avatar"); v && v->is_string()) score.avatar = v->get_string();
        top_.push_back(std::move(score));
      }
      break;
    }
    case Kind::avatar:
      avatars_.emplace_back(e.result());  // the path written
      break;
  }
  return true;
}

}  // namespace leaderboard
