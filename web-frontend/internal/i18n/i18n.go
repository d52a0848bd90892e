// Package i18n holds the page texts in English (the default) and Japanese
// and picks the language of a request from its Accept-Language header.
package i18n

import "golang.org/x/text/language"

// Languages are "en" (the default) and "ja".
const (
	EN = "en"
	JA = "ja"
)

// Texts are the page texts of one language, by key.
type Texts map[string]string

// Catalog is every language's texts and the matcher that picks one. It is
// built once at start and only read afterwards.
type Catalog struct {
	langs   []string
	matcher language.Matcher
	texts   map[string]Texts
}

// New returns the catalog of the built-in texts.
func New() *Catalog {
	return &Catalog{
		langs:   []string{EN, JA},
		matcher: language.NewMatcher([]language.Tag{language.English, language.Japanese}),
		texts:   catalogs(),
	}
}

// Pick chooses the language of an Accept-Language header (q-values
// honoured) and returns it with its texts. English is the default: for an
// empty, malformed or unmatched header, and when nothing supported is
// acceptable.
func (c *Catalog) Pick(acceptLanguage string) (string, Texts) {
	lang := EN
	if tags, _, err := language.ParseAcceptLanguage(acceptLanguage); err == nil && len(tags) > 0 {
		if _, i, conf := c.matcher.Match(tags...); conf != language.No {
			lang = c.langs[i]
		}
	}
	return lang, c.texts[lang]
}

// Texts returns the texts of lang, nil for an unknown one.
func (c *Catalog) Texts(lang string) Texts { return c.texts[lang] }

// catalogs returns the page texts by language. Every language has every
// key (a test checks).
func catalogs() map[string]Texts {
	return map[string]Texts{
		EN: {
			"app_name":           "JWT Micro System",
			"skip":               "Skip to content",
			"nav_dashboard":      "Dashboard",
			"nav_admin":          "Admin",
			"nav_logout":         "Log out",
			"signed_in_as":       "Signed in as",
			"footer":             "Access tokens are verified on every request.",
			"login_title":        "Log in",
			"login_lead":         "Sign in with your account to continue.",
			"username":           "Username",
			"password":           "Password",
			"login_button":       "Log in",
			"msg_expired":        "Your session has expired or is invalid. Please log in again.",
			"msg_logged_out":     "You have been logged out.",
			"err_credentials":    "Incorrect username or password.",
			"err_missing_fields": "Enter your username and password.",
			"err_too_long":       "The username or password is too long.",
			"err_rate_limited":   "Too many attempts. Please wait %d seconds and try again.",
			"err_login_config":   "Sign-in succeeded, but this site cannot verify the token it received. The administrator has been told (check SECRET_KEY on both services).",
			"dash_title":         "Dashboard",
			"dash_lead":          "You are signed in. This is what your session token says about you.",
			"dash_user":          "User",
			"dash_role":          "Role",
			"dash_expires":       "Access token expires",
			"dash_expires_in":    "in %s",
			"dash_issued":        "Issued",
			"dash_issuer":        "Issuer",
			"dash_renew_note":    "When the access token expires, it is renewed silently while your session lasts.",
			"token_title":        "Your access token",
			"token_lead":         "Decoded from the JWT in your session, as verified on this request.",
			"encoded":            "Encoded value (signature hidden)",
			"decoded_header":     "Decoded header",
			"decoded_payload":    "Decoded payload",
			"col_key":            "Key",
			"col_value":          "Value",
			"col_meaning":        "Meaning",
			"claim_alg":          "algorithm: the signature algorithm",
			"claim_typ":          "type: the kind of token",
			"claim_kid":          "key id: which key signed it (never the key itself)",
			"claim_sub":          "subject: who the token is about (the username)",
			"claim_role":         "role: what the user may do",
			"claim_iat":          "issued at: when the token was issued",
			"claim_exp":          "expires: when the token stops being valid",
			"claim_iss":          "issuer: who issued the token",
			"claim_jti":          "JWT id: the unique id of this token",
			"claim_aud":          "audience: the services the token is meant for",
			"claim_nbf":          "not before: when the token starts being valid",
			"claim_other":        "another claim",
			"admin_title":        "Users",
			"admin_lead":         "All accounts, fetched from auth-api with your own token.",
			"admin_empty":        "There are no users.",
			"col_username":       "Username",
			"col_role":           "Role",
			"col_created":        "Created",
			"title_400":          "Bad request",
			"title_403":          "Access denied",
			"title_404":          "Page not found",
			"title_405":          "Method not allowed",
			"title_500":          "Something went wrong",
			"title_503":          "Service unavailable",
			"err_forbidden":      "This page is for administrators only. Your account does not have the admin role.",
			"err_not_found":      "There is nothing at this address.",
			"err_method":         "This address does not accept that kind of request.",
			"err_unavailable":    "The sign-in service (auth-api) is not reachable right now. Please try again in a moment.",
			"err_cross_origin":   "This request came from another site and was refused to protect your account.",
			"err_internal":       "Something went wrong on our side. Please try again.",
			"err_bad_form":       "The form could not be read. Please try again.",
			"back_home":          "Back to the dashboard",
			"go_login":           "Go to the login page",
		},
		JA: {
			"app_name":           "JWT Micro System",
			"skip":               "本文へスキップ",
			"nav_dashboard":      "ダッシュボード",
			"nav_admin":          "管理",
			"nav_logout":         "ログアウト",
			"signed_in_as":       "ログイン中",
			"footer":             "アクセストークンはすべてのリクエストで検証されます。",
			"login_title":        "ログイン",
			"login_lead":         "続行するにはアカウントでログインしてください。",
			"username":           "ユーザー名",
			"password":           "パスワード",
			"login_button":       "ログイン",
			"msg_expired":        "セッションの有効期限が切れているか無効です。再度ログインしてください。",
			"msg_logged_out":     "ログアウトしました。",
			"err_credentials":    "ユーザー名またはパスワードが正しくありません。",
			"err_missing_fields": "ユーザー名とパスワードを入力してください。",
			"err_too_long":       "ユーザー名またはパスワードが長すぎます。",
			"err_rate_limited":   "試行回数が多すぎます。%d 秒待ってから再度お試しください。",
			"err_login_config":   "ログインには成功しましたが、受け取ったトークンをこのサイトで検証できません。管理者に通知されました(両サービスの SECRET_KEY を確認してください)。",
			"dash_title":         "ダッシュボード",
			"dash_lead":          "ログインしています。セッションのトークンに含まれる内容は次のとおりです。",
			"dash_user":          "ユーザー",
			"dash_role":          "ロール",
			"dash_expires":       "アクセストークンの有効期限",
			"dash_expires_in":    "残り %s",
			"dash_issued":        "発行日時",
			"dash_issuer":        "発行者",
			"dash_renew_note":    "アクセストークンの期限が切れても、セッションが有効な間は自動的に更新されます。",
			"token_title":        "アクセストークン",
			"token_lead":         "このリクエストで検証した、セッション内の JWT をデコードしたものです。",
			"encoded":            "エンコード値(署名は非表示)",
			"decoded_header":     "デコードされたヘッダー",
			"decoded_payload":    "デコードされたペイロード",
			"col_key":            "キー",
			"col_value":          "値",
			"col_meaning":        "説明",
			"claim_alg":          "algorithm 署名に用いられるアルゴリズム",
			"claim_typ":          "type トークンの種類の識別",
			"claim_kid":          "key id 署名した鍵の識別子(鍵そのものではない)",
			"claim_sub":          "subject 主語(ユーザー名)",
			"claim_role":         "role 役職",
			"claim_iat":          "issued at 発行日",
			"claim_exp":          "expire 有効期限",
			"claim_iss":          "issuer 発行機関元",
			"claim_jti":          "JWT id トークンの一意な識別子",
			"claim_aud":          "audience トークンの受け手となるサービス",
			"claim_nbf":          "not before 有効開始日時",
			"claim_other":        "その他のクレーム",
			"admin_title":        "ユーザー一覧",
			"admin_lead":         "あなた自身のトークンで auth-api から取得した全アカウントです。",
			"admin_empty":        "ユーザーはいません。",
			"col_username":       "ユーザー名",
			"col_role":           "ロール",
			"col_created":        "作成日時",
			"title_400":          "不正なリクエスト",
			"title_403":          "アクセスが拒否されました",
			"title_404":          "ページが見つかりません",
			"title_405":          "許可されていないメソッド",
			"title_500":          "エラーが発生しました",
			"title_503":          "サービスを利用できません",
			"err_forbidden":      "このページは管理者専用です。あなたのアカウントには admin ロールがありません。",
			"err_not_found":      "このアドレスには何もありません。",
			"err_method":         "このアドレスはその種類のリクエストを受け付けません。",
			"err_unavailable":    "認証サービス(auth-api)に現在接続できません。しばらくしてから再度お試しください。",
			"err_cross_origin":   "別のサイトから送信されたリクエストのため、アカウント保護のために拒否しました。",
			"err_internal":       "サーバー側で問題が発生しました。再度お試しください。",
			"err_bad_form":       "フォームを読み取れませんでした。再度お試しください。",
			"back_home":          "ダッシュボードへ戻る",
			"go_login":           "ログインページへ",
		},
	}
}
