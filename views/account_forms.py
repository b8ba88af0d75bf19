"""Forms of the account pages, with the manual's labels and Chinese messages."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from models.identity import (
    InvalidIdNumber,
    normalise_text,
    parse_id_number,
    password_error,
    phone_error,
)


def strip(value):
    return normalise_text(value) if isinstance(value, str) else value


class ValidIdNumber:
    def __call__(self, form, field):
        try:
            field.data = parse_id_number(field.data)["id_number"]
        except InvalidIdNumber as exc:
            raise ValidationError(str(exc)) from None


class ValidPassword:
    def __call__(self, form, field):
        error = password_error(field.data)
        if error:
            raise ValidationError(error)


class ValidPhone:
    def __call__(self, form, field):
        error = phone_error(field.data)
        if error:
            raise ValidationError(error)


class ValidName:
    """姓名: letters of any script, with · for minority names; no digits or markup."""

    def __call__(self, form, field):
        name = field.data or ""
        if any(c.isdigit() or c in "<>\"'&;=/\\{}[]()@#$%^*+|~`!?,:" or ord(c) < 32 for c in name):
            raise ValidationError("姓名只能包含文字和·")


CAPTCHA_LABEL = "验证码"


class LoginForm(FlaskForm):
    username = StringField("身份证号", filters=[strip], validators=[DataRequired("请输入身份证号")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])
    captcha = StringField(CAPTCHA_LABEL, filters=[strip], validators=[DataRequired("请输入验证码")])


class ForgotForm(FlaskForm):
    username = StringField("身份证号", filters=[strip], validators=[DataRequired("请输入身份证号")])
    captcha = StringField(CAPTCHA_LABEL, filters=[strip], validators=[DataRequired("请输入验证码")])


class AgreementForm(FlaskForm):
    agree = BooleanField("我已阅读并同意《天津市职称评审网上申报协议》",
                         validators=[DataRequired("请先勾选同意申报协议")])


class RegisterForm(FlaskForm):
    name = StringField("姓名", filters=[strip], validators=[
        DataRequired("请输入姓名"), Length(max=30, message="姓名不能超过30个字"), ValidName()])
    id_number = StringField("身份证号", filters=[strip], validators=[DataRequired("请输入身份证号"), ValidIdNumber()])
    email = StringField("邮箱", filters=[strip], validators=[
        DataRequired("请输入邮箱"), Length(max=100, message="邮箱不能超过100个字符"),
        Email("邮箱格式不正确", check_deliverability=False)])
    password = PasswordField("密码", validators=[ValidPassword()])
    confirm = PasswordField("确认密码", validators=[
        DataRequired("请再次输入密码"), EqualTo("password", "两次输入的密码不一致")])
    captcha = StringField(CAPTCHA_LABEL, filters=[strip], validators=[DataRequired("请输入验证码")])
    phone = StringField("手机号", filters=[strip], validators=[ValidPhone()])
    sms_code = StringField("手机验证码", filters=[strip], validators=[DataRequired("请输入手机验证码")])


class ChangePasswordForm(FlaskForm):
    old_password = PasswordField("原密码", validators=[DataRequired("请输入原密码")])
    new_password = PasswordField("新密码", validators=[ValidPassword()])
    confirm = PasswordField("确认密码", validators=[
        DataRequired("请再次输入新密码"), EqualTo("new_password", "两次输入的新密码不一致")])


class MfaForm(FlaskForm):
    code = StringField("动态验证码", filters=[strip], validators=[
        DataRequired("请输入动态验证码"), Length(max=20, message="动态验证码不正确")])
